// Minimal typings for the parts of xmpp.js we compose ourselves (the packages ship none).
// Only what Klatsch uses is declared; widen it when a new part is needed.

declare module '@xmpp/xml' {
  import type { EventEmitter } from 'node:events';
  export class Element {
    constructor(name: string, attrs?: Record<string, string | undefined>);
    name: string;
    attrs: Record<string, string | undefined>;
    children: (Element | string)[];
    parent: Element | null;
    is(name: string, xmlns?: string): boolean;
    getNS(): string | undefined;
    getChild(name: string, xmlns?: string): Element | undefined;
    getChildren(name: string, xmlns?: string): Element[];
    getChildElements(): Element[];
    getChildText(name: string, xmlns?: string): string | null;
    text(): string;
    toString(): string;
  }
  type Child = Element | string | undefined | null | false;
  function xml(name: string, attrs?: Record<string, string | undefined> | null, ...children: (Child | Child[])[]): Element;
  namespace xml {
    export { Element };
  }
  export default xml;
  /** The stream parser: emits 'start' (the stream root), 'element' (each top-level child), 'end', 'error'. */
  export class Parser extends EventEmitter {
    root: Element | null;
    cursor: Element | null;
    onStartElement(name: string, attrs: Record<string, string>): void;
    onEndElement(name: string): void;
    onText(text: string): void;
    write(data: string): void;
  }
}

declare module '@xmpp/jid' {
  export class JID {
    local: string;
    domain: string;
    resource: string;
    bare(): JID;
    toString(): string;
    equals(other: JID): boolean;
  }
  export function jid(address: string): JID;
  export function jid(local: string, domain: string, resource?: string): JID;
  const j: typeof jid & { JID: typeof JID };
  export default j;
}


declare module '@xmpp/connection-tcp' {
  import type { EventEmitter } from 'node:events';
  import type { Element } from '@xmpp/xml';
  import type { JID } from '@xmpp/jid';
  export default class ConnectionTCP extends EventEmitter {
    constructor(options?: Record<string, unknown>);
    jid: JID | null;
    status: string;
    socket: (EventEmitter & { secure?: boolean; end(): void; write(d: string, cb?: (e?: Error) => void): void }) | null;
    options: { domain: string; service?: string; lang?: string; timeout?: number };
    Socket: unknown;
    socketParameters(service: string): unknown;
    isSecure(): boolean;
    send(element: Element): Promise<void>;
    sendReceive(element: Element, timeout?: number): Promise<Element>;
    restart(): Promise<void>;
    _attachSocket(socket: unknown): void;
  }
}

declare module '@xmpp/client-core' {
  import type { EventEmitter } from 'node:events';
  import type { Element } from '@xmpp/xml';
  import type { JID } from '@xmpp/jid';
  export class Client extends EventEmitter {
    constructor(options: { domain: string; service?: string; lang?: string; timeout?: number });
    transports: unknown[];
    jid: JID | null;
    status: string;
    timeout: number;
    socket: (EventEmitter & { secure?: boolean; end(): void }) | null;
    options: { domain: string; service?: string; lang?: string; timeout?: number };
    isSecure(): boolean;
    start(): Promise<JID>;
    /** The socket (start()'s first step). */
    connect(service?: string): Promise<unknown>;
    /** The stream header (start()'s second step). */
    open(options: { domain: string; lang?: string }): Promise<unknown>;
    stop(): Promise<unknown>;
    disconnect(): Promise<unknown>;
    send(element: Element): Promise<void>;
    sendReceive(element: Element, timeout?: number): Promise<Element>;
    restart(): Promise<void>;
    _attachSocket(socket: unknown): void;
    /** Sets the bound JID (a resumed XEP-0198 stream binds none). */
    _jid(address: string): JID;
    /** Goes 'online' (emits it unless `resumed`). */
    _ready(resumed?: boolean): void;
    /** The current stream's parser (null once detached). */
    parser: import('@xmpp/xml').Parser | null;
    /** Bytes from the socket, into the parser. */
    _onData(data: Buffer): void;
    /** A complete top-level element from the parser. */
    _onElement(element: Element): void;
    _attachParser(parser: import('@xmpp/xml').Parser): void;
    _detachParser(): void;
    /** Stops listening to the current socket (does not close it). */
    _detachSocket(): void;
    isStanza(element: Element): boolean;
  }
}

declare module '@xmpp/middleware' {
  import type { Client } from '@xmpp/client-core';
  import type { Element } from '@xmpp/xml';
  export interface IncomingContext {
    entity: Client;
    stanza: Element;
    name: string;
    id: string;
    type: string;
    from: import('@xmpp/jid').JID | null;
    /** The iq's payload child, set by the iq callee. */
    element?: Element;
  }
  type Next = () => Promise<unknown>;
  export interface Middleware {
    use(fn: (ctx: IncomingContext, next: Next) => unknown): unknown;
    filter(fn: (ctx: IncomingContext, next: Next) => unknown): unknown;
  }
  export default function middleware(args: { entity: Client }): Middleware;
}

declare module '@xmpp/stream-features' {
  import type { Middleware, IncomingContext } from '@xmpp/middleware';
  import type { Element } from '@xmpp/xml';
  export interface StreamFeatures {
    use(name: string, xmlns: string, handler: (ctx: IncomingContext, next: () => Promise<unknown>, feature: Element) => unknown): unknown;
  }
  export default function streamFeatures(args: { middleware: Middleware }): StreamFeatures;
}

declare module '@xmpp/iq/caller.js' {
  import type { Client } from '@xmpp/client-core';
  import type { Middleware } from '@xmpp/middleware';
  import type { Element } from '@xmpp/xml';
  export interface IqCaller {
    request(stanza: Element, timeout?: number): Promise<Element>;
    get(element: Element, to?: string, timeout?: number): Promise<Element>;
    set(element: Element, to?: string, timeout?: number): Promise<Element>;
  }
  export default function iqCaller(args: { middleware: Middleware; entity: Client }): IqCaller;
}

declare module '@xmpp/iq/callee.js' {
  import type { Client } from '@xmpp/client-core';
  import type { Middleware, IncomingContext } from '@xmpp/middleware';
  import type { Element } from '@xmpp/xml';
  export interface IqCallee {
    get(ns: string, name: string, handler: (ctx: IncomingContext) => Element | Record<string, never> | Promise<Element>): void;
    set(ns: string, name: string, handler: (ctx: IncomingContext) => Element | Record<string, never> | Promise<Element>): void;
  }
  export default function iqCallee(args: { middleware: Middleware; entity: Client }): IqCallee;
}

declare module '@xmpp/resource-binding' {
  import type { StreamFeatures } from '@xmpp/stream-features';
  import type { IqCaller } from '@xmpp/iq/caller.js';
  export default function resourceBinding(args: { streamFeatures: StreamFeatures; iqCaller: IqCaller }, resource?: string): void;
}

// Parsing one XML string into an Element (tests build hostile stanzas from text with it).
declare module '@xmpp/xml/lib/parse.js' {
  import type { Element } from '@xmpp/xml';
  export default function parse(text: string): Element;
}
