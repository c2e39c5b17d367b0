/**
 * The request and event names the app relies on, spelled out as type-checked lists
 * so the app bundle does not pull in the contract's runtime (zod) just for the names.
 * The `satisfies` clauses fail to compile if a name is added to or removed from the contract.
 */
import type { EventName, RequestName } from '../shared/contract';

const requestTable = {
  getSnapshot: true,
  addAccount: true,
  connectAccount: true,
  disconnectAccount: true,
  removeAccount: true,
  trustCertificate: true,
  setPresence: true,
  sendMessage: true,
  markRead: true,
  resendMessage: true,
  startPrivate: true,
  endPrivate: true,
  setOtrPolicy: true,
  setE2eeScheme: true,
  verifyOmemoDevices: true,
  startSmp: true,
  respondSmp: true,
  abortSmp: true,
  dismissSmp: true,
  acceptKey: true,
  setTrust: true,
  forgetKey: true,
  listTrust: true,
  importLibotr: true,
  exportLibotr: true,
  setKeepPrivateHistory: true,
  addContact: true,
  removeContact: true,
  renameContact: true,
  setContactGroups: true,
  approveSubscription: true,
  denySubscription: true,
  setAvatar: true,
  setChatState: true,
  correctMessage: true,
  // accounts-search
  searchHistory: true,
  openExternalLink: true,
  setSettings: true,
  windowStateChanged: true,
  // Group chats
  joinRoom: true,
  leaveRoom: true,
  sendRoomMessage: true,
  setRoomSubject: true,
  markRoomRead: true,
  listRooms: true,
  inviteToRoom: true,
  acceptInvitation: true,
  declineInvitation: true,
  // Message archive (XEP-0313)
  loadOlderMessages: true,
} as const satisfies Record<RequestName, true>;

const eventTable = {
  accountUpdated: true,
  accountRemoved: true,
  rosterReplaced: true,
  contactUpdated: true,
  messageUpserted: true,
  xmppLinkOpened: true,
  trustChanged: true,
  subscriptionRequestsChanged: true,
  avatarChanged: true,
  settingsChanged: true,
  chatOpenRequested: true,
  // Group chats
  roomUpdated: true,
  roomRemoved: true,
  roomMessageUpserted: true,
  invitationsChanged: true,
  policyChanged: true,
} as const satisfies Record<EventName, true>;

export const requestNamesForCheck = Object.keys(requestTable) as RequestName[];
export const eventNamesForCheck = Object.keys(eventTable) as EventName[];
