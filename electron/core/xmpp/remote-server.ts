/**
 * A stanza bounced by the user's own server because it could not reach the other company's server
 * (RFC 6120 §8.3.3.15–16, server-to-server). Such a bounce says nothing about the contact: the link
 * between the servers failed (a certificate that does not verify, a domain that does not exist, a
 * server that is down), so what was sent may go again later. A waiting message carries the domain
 * (`waitingForServer`) and the UI words it; a bounced request is said here, naming the other domain.
 * The server's own text ("Server-to-server connection failed: …") is jargon and left out.
 */

export type RemoteServerCondition = 'remote-server-not-found' | 'remote-server-timeout';

export function isRemoteServerCondition(condition: string | undefined): condition is RemoteServerCondition {
  return condition === 'remote-server-not-found' || condition === 'remote-server-timeout';
}

export function domainOfAddress(address: string): string {
  const bare = address.split('/')[0] ?? address;
  return bare.includes('@') ? bare.slice(bare.indexOf('@') + 1) : bare;
}

/** Why a contact request (or another presence) to `peer` did not get through. */
export function requestNotDelivered(condition: RemoteServerCondition, peer: string): string {
  const domain = domainOfAddress(peer);
  return condition === 'remote-server-timeout'
    ? `Your request to ${peer} did not get through: ${domain} did not answer your server in time. Try again later.`
    : `Your request to ${peer} did not get through: your server could not connect to ${domain} (it may be down, unknown or not trusted by your server). Try again later.`;
}
