"""
The Python reference for Klatsch's OMEMO engine: python-oldmemo / python-twomemo
1.0 backends (Syndace, on python-x3dh, python-doubleratchet, python-xeddsa)
driven at the level of one <key> element, for known-answer vectors
(scripts/omemo-vectors.py) and live cross-checks (tests/integration/omemo-*).

Run with /usr/bin/python3 (Debian's packages). As a driver it reads one JSON
request per line on stdin and answers one JSON line on stdout; bytes are hex.
"""
import asyncio
import json
import secrets
import sys
import time

import xeddsa
import x3dh
import doubleratchet
from doubleratchet.recommended import diffie_hellman_ratchet_curve25519
from omemo.storage import Just, Nothing, Storage
from omemo.session import Initiation
import oldmemo.oldmemo as om
import twomemo.twomemo as tm

JID = "peer@klatsch.test"


class MemoryStorage(Storage):
    def __init__(self):
        super().__init__(True)
        self.data = {}

    async def _load(self, key):
        return Just(self.data[key]) if key in self.data else Nothing()

    async def _store(self, key, value):
        self.data[key] = value

    async def _delete(self, key):
        self.data.pop(key, None)


class Draws:
    """Deterministic randomness for vectors; records who drew what."""

    def __init__(self, seed: bytes):
        self.seed = seed
        self.counter = 0
        self.log = []

    def token_bytes(self, n=32):
        import hashlib
        out = b""
        while len(out) < n:
            out += hashlib.sha256(self.seed + self.counter.to_bytes(8, "big")).digest()
            self.counter += 1
        value = out[:n]
        self.log.append(value)
        return value

    def take(self):
        log, self.log = self.log, []
        return log


def make_deterministic(draws: Draws):
    secrets.token_bytes = draws.token_bytes
    secrets.choice = lambda seq: sorted(seq)[0]
    diffie_hellman_ratchet_curve25519.DiffieHellmanRatchet._generate_priv = staticmethod(lambda: draws.token_bytes(32))


def ed_sign_bit(ed_pub: bytes) -> int:
    return (ed_pub[31] >> 7) & 1


class Peer:
    """One device of the reference, with its sessions keyed by the peer's name."""

    def __init__(self, version: str, device_id: int = 1):
        self.version = version
        self.mod = om if version == "oldmemo" else tm
        self.storage = MemoryStorage()
        self.backend = None
        self.device_id = device_id
        self.sessions = {}

    async def init(self, identity=None, pre_keys=100):
        if identity is not None:
            is_seed, key = identity
            await self.storage.store("/ikp/is_seed", is_seed)
            await self.storage.store_bytes("/ikp/key", key)
        self.backend = (om.Oldmemo if self.version == "oldmemo" else tm.Twomemo)(self.storage)
        await self.backend.generate_pre_keys(pre_keys)
        return self

    async def bundle(self):
        """The bundle as it goes over the wire, keys raw (without 0x05)."""
        b = await self.backend.get_bundle(JID, self.device_id)
        identity = b.bundle.identity_key
        sig = bytearray(b.bundle.signed_pre_key_sig)
        if self.version == "oldmemo":
            # As oldmemo.etree.serialize_bundle: Curve25519 identity, Ed25519 sign bit in the signature.
            sig[63] |= identity[31] & 0x80
            identity = xeddsa.ed25519_pub_to_curve25519_pub(identity)
        return {
            "identityKey": identity.hex(),
            "signedPreKeyId": b.signed_pre_key_id,
            "signedPreKey": b.bundle.signed_pre_key.hex(),
            "signedPreKeySignature": bytes(sig).hex(),
            "preKeys": sorted(({"id": i, "key": k.hex()} for k, i in b.pre_key_ids.items()), key=lambda p: p["id"]),
        }

    async def private_state(self):
        """Private keys (for known-answer vectors only)."""
        state = (await self.storage.load(f"/{self.backend.namespace}/x3dh")).from_just()
        ikp_is_seed = (await self.storage.load_primitive("/ikp/is_seed", bool)).from_just()
        ikp_key = (await self.storage.load_bytes("/ikp/key")).from_just()
        return state, ikp_is_seed, ikp_key

    def _parse_bundle(self, bundle):
        identity = bytes.fromhex(bundle["identityKey"])
        sig = bytearray(bytes.fromhex(bundle["signedPreKeySignature"]))
        if self.version == "oldmemo":
            identity = xeddsa.curve25519_pub_to_ed25519_pub(identity, bool(sig[63] >> 7))
            sig[63] &= 0x7F
        pre_keys = {bytes.fromhex(p["key"]): p["id"] for p in bundle["preKeys"]}
        return self.mod.BundleImpl(
            JID, 2,
            x3dh.Bundle(identity, bytes.fromhex(bundle["signedPreKey"]), bytes(sig), frozenset(pre_keys.keys())),
            bundle["signedPreKeyId"], pre_keys,
        )

    def _key_exchange_bytes(self, session, authenticated):
        if self.version == "oldmemo":
            return session.key_exchange.serialize(authenticated)[0]
        return session.key_exchange.serialize(authenticated)

    async def start(self, name, bundle, key_material: bytes):
        pkm = self._plain(key_material)
        session, ekm = await self.backend.build_session_active(JID, 2, self._parse_bundle(bundle), pkm)
        self.sessions[name] = session
        return {"data": self._key_exchange_bytes(session, ekm.serialize()).hex(), "keyExchange": True}

    def _plain(self, key_material: bytes):
        klen = self.mod.PlainKeyMaterialImpl.KEY_LENGTH
        return self.mod.PlainKeyMaterialImpl(key_material[:klen], key_material[klen:])

    async def encrypt(self, name, key_material: bytes):
        session = self.sessions[name]
        ekm = await self.backend.encrypt_key_material(session, self._plain(key_material))
        if session.initiation is Initiation.ACTIVE and not session.confirmed:
            return {"data": self._key_exchange_bytes(session, ekm.serialize()).hex(), "keyExchange": True}
        return {"data": ekm.serialize().hex(), "keyExchange": False}

    async def decrypt(self, name, data: bytes, key_exchange: bool, sign_bit: bool = False):
        session = self.sessions.get(name)
        if key_exchange:
            if self.version == "oldmemo":
                kex, authenticated = self.mod.KeyExchangeImpl.parse(data, sign_bit)
            else:
                kex, authenticated = self.mod.KeyExchangeImpl.parse(data)
            ekm = self.mod.EncryptedKeyMaterialImpl.parse(authenticated, JID, 2)
            if session is not None and session.key_exchange.builds_same_session(kex):
                pkm = await self.backend.decrypt_key_material(session, ekm)
            else:
                session, pkm = await self.backend.build_session_passive(JID, 2, kex, ekm)
                self.sessions[name] = session
        else:
            if session is None:
                raise ValueError("no session")
            ekm = self.mod.EncryptedKeyMaterialImpl.parse(data, JID, 2)
            pkm = await self.backend.decrypt_key_material(session, ekm)
        return {"keyMaterial": (pkm.key + pkm.auth_tag).hex()}

    async def encrypt_payload(self, plaintext: bytes):
        content, pkm = await self.backend.encrypt_plaintext(plaintext)
        out = {"payload": content.ciphertext.hex(), "keyMaterial": (pkm.key + pkm.auth_tag).hex()}
        if self.version == "oldmemo":
            out["iv"] = content.initialization_vector.hex()
        return out

    async def decrypt_payload(self, payload: bytes, key_material: bytes, iv):
        if self.version == "oldmemo":
            content = self.mod.ContentImpl(payload, iv)
        else:
            content = self.mod.ContentImpl(payload)
        return {"plaintext": (await self.backend.decrypt_plaintext(content, self._plain(key_material))).hex()}


def xeddsa_ops(request):
    op = request["op"]
    if op == "xeddsa-verify":
        pub = bytes.fromhex(request["curvePub"])
        sig = bytearray(bytes.fromhex(request["signature"]))
        ed = xeddsa.curve25519_pub_to_ed25519_pub(pub, bool(sig[63] >> 7))
        sig[63] &= 0x7F
        return {"valid": xeddsa.ed25519_verify(bytes(sig), ed, bytes.fromhex(request["message"]))}
    if op == "ed25519-verify":
        return {"valid": xeddsa.ed25519_verify(bytes.fromhex(request["signature"]), bytes.fromhex(request["edPub"]), bytes.fromhex(request["message"]))}
    if op == "xeddsa-sign":
        priv = xeddsa.priv_force_sign(bytes.fromhex(request["curvePriv"]), False)
        return {"signature": xeddsa.ed25519_priv_sign(priv, bytes.fromhex(request["message"]), bytes.fromhex(request["nonce"])).hex()}
    raise ValueError("unknown op")


async def serve():
    peers = {}
    loop = asyncio.get_running_loop()
    while True:
        line = await loop.run_in_executor(None, sys.stdin.readline)
        if not line:
            return
        request = json.loads(line)
        try:
            op = request["op"]
            if op.startswith("xeddsa") or op.startswith("ed25519"):
                result = xeddsa_ops(request)
            elif op == "create":
                peer = await Peer(request["version"]).init(pre_keys=request.get("preKeys", 100))
                peers[request["peer"]] = peer
                result = {"bundle": await peer.bundle()}
            elif op == "bundle":
                result = {"bundle": await peers[request["peer"]].bundle()}
            elif op == "start":
                result = await peers[request["peer"]].start(request["name"], request["bundle"], bytes.fromhex(request["keyMaterial"]))
            elif op == "encrypt":
                result = await peers[request["peer"]].encrypt(request["name"], bytes.fromhex(request["keyMaterial"]))
            elif op == "decrypt":
                result = await peers[request["peer"]].decrypt(request["name"], bytes.fromhex(request["data"]), request["keyExchange"])
            elif op == "encrypt-payload":
                result = await peers[request["peer"]].encrypt_payload(bytes.fromhex(request["plaintext"]))
            elif op == "decrypt-payload":
                iv = bytes.fromhex(request["iv"]) if request.get("iv") else None
                result = await peers[request["peer"]].decrypt_payload(bytes.fromhex(request["payload"]), bytes.fromhex(request["keyMaterial"]), iv)
            elif op == "bench":
                result = await bench(request)
            else:
                raise ValueError("unknown op")
            response = {"ok": True, **result}
        except Exception as e:  # the test wants to see which rejection, not a crash
            response = {"ok": False, "error": type(e).__name__, "message": str(e)[:200]}
        sys.stdout.write(json.dumps(response) + "\n")
        sys.stdout.flush()


async def bench(request):
    """Times the reference on the workload of scripts/bench-omemo.ts; seconds per operation."""
    version = request["version"]
    rounds = request.get("rounds", 20)
    key_material = bytes(range(32 if version == "oldmemo" else 48))
    # Session setup: bundle -> first message decrypted (devices made beforehand, untimed).
    pairs = []
    for _ in range(rounds):
        alice = await Peer(version).init(pre_keys=1)
        bob = await Peer(version).init(pre_keys=1)
        pairs.append((alice, bob, await bob.bundle()))
    t0, c0 = time.perf_counter(), time.thread_time()
    for alice, bob, bundle in pairs:
        first = await alice.start("bob", bundle, key_material)
        await bob.decrypt("alice", bytes.fromhex(first["data"]), True)
    setup, cpu_setup = (time.perf_counter() - t0) / rounds, (time.thread_time() - c0) / rounds
    # Encrypt for 3 + 2 devices (payload once, key material per device, sessions confirmed), decrypt one.
    sender = await Peer(version).init(pre_keys=1)
    receivers = [await Peer(version).init(pre_keys=1) for _ in range(5)]
    for i, receiver in enumerate(receivers):
        first = await sender.start(str(i), await receiver.bundle(), key_material)
        await receiver.decrypt("s", bytes.fromhex(first["data"]), True)
        reply = await receiver.encrypt("s", key_material)
        await sender.decrypt(str(i), bytes.fromhex(reply["data"]), False)
    t0, c0 = time.perf_counter(), time.thread_time()
    messages = []
    for _ in range(rounds):
        content, pkm = await sender.backend.encrypt_plaintext(PLAINTEXT)
        keys = [await sender.encrypt(str(i), pkm.key + pkm.auth_tag) for i in range(5)]
        messages.append((content, keys[0]))
    encrypt, cpu_encrypt = (time.perf_counter() - t0) / rounds, (time.thread_time() - c0) / rounds
    t0, c0 = time.perf_counter(), time.thread_time()
    for content, key in messages:
        out = await receivers[0].decrypt("s", bytes.fromhex(key["data"]), key["keyExchange"])
        km = bytes.fromhex(out["keyMaterial"])
        assert await receivers[0].backend.decrypt_plaintext(content, receivers[0]._plain(km)) == PLAINTEXT
    decrypt, cpu_decrypt = (time.perf_counter() - t0) / rounds, (time.thread_time() - c0) / rounds
    # Beside the wall-clock times, this thread's CPU time, which other load on the machine does not inflate.
    return {"setup": setup, "encrypt": encrypt, "decrypt": decrypt, "cpu_setup": cpu_setup, "cpu_encrypt": cpu_encrypt, "cpu_decrypt": cpu_decrypt}


PLAINTEXT = "Hello! This is a chat message of ordinary length, with an ümlaut.".encode()


if __name__ == "__main__":
    asyncio.run(serve())
