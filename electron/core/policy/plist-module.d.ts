// The `plist` package ships no typings; only the reader is used.
declare module 'plist' {
  const plist: { parse(xml: string): unknown };
  export default plist;
}
