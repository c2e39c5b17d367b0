"""
Writes the OMEMO known-answer vectors (tests/vectors/omemo/*.json) with the
Python reference (python-xeddsa, python-x3dh, python-doubleratchet,
python-oldmemo, python-twomemo 1.0) from fixed seeds, so the unit tests check
the engine byte for byte without Python. Run: /usr/bin/python3 scripts/omemo-vectors.py [OUT_DIR]
"""
import asyncio
import hashlib
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import omemo_reference as ref  # noqa: E402
import xeddsa  # noqa: E402
import oldmemo.oldmemo as om  # noqa: E402
import twomemo.twomemo as tm  # noqa: E402

OUT = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "vectors", "omemo")


def h(b: bytes) -> str:
    return b.hex()


def seeded(label: str, n: int = 32) -> bytes:
    return hashlib.sha256(label.encode()).digest()[:n] if n <= 32 else hashlib.sha512(label.encode()).digest()[:n]


def clamp(k: bytes) -> bytes:
    b = bytearray(k)
    b[0] &= 248
    b[31] &= 127
    b[31] |= 64
    return bytes(b)


def xeddsa_vectors():
    sign = []
    for i in range(8):
        priv = clamp(seeded(f"xeddsa-priv-{i}"))
        message = seeded(f"xeddsa-msg-{i}")[: 1 + i * 4]
        nonce = seeded(f"xeddsa-nonce-{i}", 64)
        signature = xeddsa.ed25519_priv_sign(xeddsa.priv_force_sign(priv, False), message, nonce)
        sign.append({
            "curvePriv": h(priv), "curvePub": h(xeddsa.priv_to_curve25519_pub(priv)),
            "message": h(message), "nonce": h(nonce), "signature": h(signature),
        })
    # Signatures by Ed25519 identities whose sign bit is 1, in 0.3's wire form
    # (python-oldmemo and old libsignal put the sign bit into the signature's last byte).
    sign_bit = []
    i = 0
    while len(sign_bit) < 4:
        seed = seeded(f"ed-seed-{i}")
        i += 1
        ed = xeddsa.seed_to_ed25519_pub(seed)
        if not ed[31] & 0x80:
            continue
        message = b"\x05" + seeded(f"spk-{i}")
        sig = bytearray(xeddsa.ed25519_seed_sign(seed, message))
        sig[63] |= 0x80
        sign_bit.append({"curvePub": h(xeddsa.ed25519_pub_to_curve25519_pub(ed)), "message": h(message), "signature": h(bytes(sig))})
    conversions = []
    for i in range(8):
        seed = seeded(f"conv-{i}")
        ed = xeddsa.seed_to_ed25519_pub(seed)
        curve = xeddsa.ed25519_pub_to_curve25519_pub(ed)
        conversions.append({
            "seed": h(seed), "edPub": h(ed), "curvePub": h(curve), "signBit": ed[31] >> 7,
            "curvePriv": h(xeddsa.seed_to_priv(seed)),
        })
    return {"sign": sign, "signBitInSignature": sign_bit, "conversions": conversions}


class Recorder:
    """Captures X3DH's shared secret and associated data as the backends pass them to the ratchet."""

    def __init__(self):
        self.captured = []
        for mod in (om, tm):
            self._wrap(mod.DoubleRatchetImpl)

    def _wrap(self, cls):
        recorder = self
        original = cls.encrypt_initial_message.__func__

        async def encrypt_initial_message(klass, *args):
            # (..., shared_secret, recipient_ratchet_pub, message, associated_data)
            recorder.captured.append({"sharedSecret": h(args[-4]), "associatedData": h(args[-1])})
            return await original(klass, *args)

        cls.encrypt_initial_message = classmethod(encrypt_initial_message)


async def conversation(version: str, draws: ref.Draws, recorder: Recorder):
    """Alice (active) and Bob (passive), both the reference, with every random value recorded."""
    mod = om if version == "oldmemo" else tm
    klen = mod.PlainKeyMaterialImpl.KEY_LENGTH + 16
    if version == "oldmemo":
        # 0.3 identities as Klatsch makes them: a Curve25519 private key. Bob's Edwards sign bit is 1,
        # so his bundle signature carries it (the case libsignal's old signatures show).
        alice_identity = (False, clamp(seeded("alice-identity")))
        j = 0
        while True:
            bob_priv = clamp(seeded(f"bob-identity-{j}"))
            j += 1
            if xeddsa.priv_to_ed25519_pub(bob_priv)[31] & 0x80:
                break
        bob_identity = (False, bob_priv)
    else:
        alice_identity = (True, seeded("alice-identity"))
        bob_identity = (True, seeded("bob-identity"))
    alice = await ref.Peer(version).init(alice_identity, pre_keys=1)
    bob = await ref.Peer(version).init(bob_identity, pre_keys=1)
    draws.take()
    bundle = await bob.bundle()
    state, _, _ = await bob.private_state()
    spk_priv = bytes(map(ord, state["signed_pre_key"]["priv"]))  # python-x3dh stores bytes as latin-1 text
    pre_key_privs = [bytes(map(ord, p)) for p in state["pre_keys"]]
    assert len(pre_key_privs) == 1
    pre_key_priv = pre_key_privs[0]

    def km(i):
        return bytes((i * 31 + j) & 0xFF for j in range(klen))

    steps = []
    recorder.captured.clear()

    async def step(sender, receiver, sender_name, receiver_name, i, start=False):
        draws.take()
        key_material = km(i)
        if start:
            element = await sender.start(receiver_name, bundle, key_material)
        else:
            element = await sender.encrypt(receiver_name, key_material)
        sender_draws = draws.take()
        out = await receiver.decrypt(sender_name, bytes.fromhex(element["data"]), element["keyExchange"])
        receiver_draws = draws.take()
        assert out["keyMaterial"] == h(key_material)
        steps.append({
            "from": "alice" if sender is alice else "bob",
            "keyMaterial": h(key_material), "data": element["data"], "keyExchange": element["keyExchange"],
            "senderDraws": [h(d) for d in sender_draws], "receiverDraws": [h(d) for d in receiver_draws],
        })

    await step(alice, bob, "alice", "bob", 0, start=True)
    await step(alice, bob, "alice", "bob", 1)
    await step(bob, alice, "bob", "alice", 2)
    await step(alice, bob, "alice", "bob", 3)
    await step(alice, bob, "alice", "bob", 4)
    await step(bob, alice, "bob", "alice", 5)
    await step(bob, alice, "bob", "alice", 6)
    await step(alice, bob, "alice", "bob", 7)

    def identity_public(identity):
        is_seed, key = identity
        if version == "twomemo":
            return xeddsa.seed_to_ed25519_pub(key)
        return xeddsa.priv_to_curve25519_pub(key)

    payloads = []
    for i, text in enumerate(["hello", "", "x" * 100, "Grüße"]):
        draws.take()
        sealed = await alice.encrypt_payload(text.encode())
        payloads.append({"plaintext": h(text.encode()), "draws": [h(d) for d in draws.take()], **sealed})

    return {
        "version": version,
        "alice": {"identitySecret": h(alice_identity[1]), "identityPublic": h(identity_public(alice_identity))},
        "bob": {
            "identitySecret": h(bob_identity[1]), "identityPublic": h(identity_public(bob_identity)),
            "bundle": bundle,
            "signedPreKeyPriv": h(spk_priv),
            "preKeyPriv": h(pre_key_priv),
        },
        "x3dh": recorder.captured[0],
        "steps": steps,
        "payloads": payloads,
    }


async def main():
    os.makedirs(OUT, exist_ok=True)
    with open(os.path.join(OUT, "xeddsa.json"), "w") as f:
        json.dump(xeddsa_vectors(), f, indent=1)
        f.write("\n")
    recorder = Recorder()
    for version in ("oldmemo", "twomemo"):
        draws = ref.Draws(f"klatsch-omemo-vectors-{version}".encode())
        ref.make_deterministic(draws)
        data = await conversation(version, draws, recorder)
        with open(os.path.join(OUT, f"{version}-session.json"), "w") as f:
            json.dump(data, f, indent=1)
            f.write("\n")
    print("wrote", OUT)


if __name__ == "__main__":
    asyncio.run(main())
