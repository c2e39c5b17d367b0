/**
 * The server's group chat service (XEP-0045 §6.1, XEP-0030): found once per session, it turns a room's
 * name into its address and lists the public rooms.
 */
import { KlatschError } from '../errors.js';
import type { XmppSession } from '../xmpp/xmpp-session.js';
import { DISCO_TIMEOUT_MS, type RoomsContext } from './rooms-context.js';
import { discoInfoIq, discoItemsIq, isMucService, NS_DISCO_INFO, NS_DISCO_ITEMS, parseDiscoItems, roomAddress } from './muc-stanzas.js';

/** Services and rooms looked at when finding the group chat service or listing rooms. */
const MAX_DISCO_ITEMS = 500;
const MAX_SERVICES_ASKED = 20;

export class RoomService {
  /** The group chat service found for this session (XEP-0030); null: looked, none. */
  private service: string | null | undefined;

  constructor(private readonly ctx: RoomsContext) {}

  /** A new session: the service is looked for again. */
  forget(): void {
    this.service = undefined;
  }

  /** Public rooms on the server's group chat service. */
  async list(): Promise<{ service?: string; rooms: { jid: string; name?: string }[] }> {
    const session = this.ctx.online();
    const service = await this.findService(session);
    if (!service) return { rooms: [] };
    const answer = await session.iq.request(discoItemsIq(service), DISCO_TIMEOUT_MS).catch(() => undefined);
    const rooms = parseDiscoItems(answer?.getChild('query', NS_DISCO_ITEMS) ?? (answer?.name === 'query' ? answer : undefined), MAX_DISCO_ITEMS).filter((r) =>
      r.jid.endsWith(`@${service}`),
    );
    return { service, rooms };
  }

  /** `name` on the server's group chat service. */
  async onService(session: XmppSession, name: string): Promise<string | undefined> {
    const service = await this.findService(session);
    if (!service) throw new KlatschError('not-found', 'Your server has no group chat service. Enter the full room address (room@conference.example.com).', { reason: 'no-room-service' });
    const local = name.trim().toLowerCase();
    if (!/^[^\s@/"&'<>:]{1,256}$/u.test(local)) return undefined;
    return roomAddress(`${local}@${service}`);
  }

  /** XEP-0045 §6.1: the server's items, the first whose info says it is a group chat service. */
  private async findService(session: XmppSession): Promise<string | undefined> {
    if (this.service !== undefined) return this.service ?? undefined;
    const domain = this.ctx.deps.domain();
    const answer = await session.iq.request(discoItemsIq(domain), DISCO_TIMEOUT_MS).catch(() => undefined);
    const items = parseDiscoItems(answer?.name === 'query' ? answer : answer?.getChild('query', NS_DISCO_ITEMS), MAX_DISCO_ITEMS)
      .filter((i) => !i.jid.includes('@'))
      .slice(0, MAX_SERVICES_ASKED);
    for (const item of items) {
      const info = await session.iq.request(discoInfoIq(item.jid), DISCO_TIMEOUT_MS).catch(() => undefined);
      if (isMucService(info?.name === 'query' ? info : info?.getChild('query', NS_DISCO_INFO))) {
        this.service = item.jid;
        return item.jid;
      }
    }
    this.service = null;
    return undefined;
  }
}
