/**
 * Who may call the main process: only the main frame of our own window,
 * showing our own page. Checked once, for every request, in ipc-main.ts.
 */
export interface SenderEventLike {
  sender: unknown;
  senderFrame: { url: string } | null | undefined;
}

export interface WindowLike {
  webContents: { mainFrame: unknown };
}

export function isTrustedSender(event: SenderEventLike, window: WindowLike, appPageUrl: string): boolean {
  const frame = event.senderFrame;
  return (
    event.sender === window.webContents &&
    !!frame &&
    frame === window.webContents.mainFrame &&
    frame.url.split('#')[0] === appPageUrl
  );
}
