#!/usr/bin/env python3
"""Derives the known-answer vectors in Tests/TallyVerifyTests/CheckpointTests.swift.

An independent reference: the C2SP signed-note and tlog-checkpoint specifications
(https://c2sp.org/signed-note, https://c2sp.org/tlog-checkpoint) written from the text with
Python's `cryptography` (Ed25519) and `hashlib`, sharing no code with Tally:

  key id        = SHA-256(name || 0x0A || 0x01 || public key)[:4]
  verifier key  = name "+" hex(key id) "+" base64(0x01 || public key)
  signer key    = "PRIVATE+KEY+" name "+" hex(key id) "+" base64(0x01 || seed)   (Go's sumdb/note)
  checkpoint    = origin "\n" decimal size "\n" base64(root) "\n" [extension lines "\n"]
  signed note   = checkpoint "\n" "\u2014 " name " " base64(key id || Ed25519(checkpoint)) "\n"

The private key's 32-byte seed is SHA-256("tally checkpoint test key <n>"); roots are those of
tools/merkle-vectors.py. Ed25519 (RFC 8032) is deterministic, so the signatures are fixed too.
Run: python3 tools/checkpoint-vectors.py
"""
import base64
import hashlib

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey


def b64(data):
    return base64.b64encode(data).decode()


ALG = b"\x01"  # Ed25519's algorithm byte


def key_id(name, public):
    return hashlib.sha256(name.encode() + b"\n" + ALG + public).digest()[:4]


def key(n, name):
    seed = hashlib.sha256(f"tally checkpoint test key {n}".encode()).digest()
    private = Ed25519PrivateKey.from_private_bytes(seed)
    public = private.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    kid = key_id(name, public)
    return {
        "private": private,
        "name": name,
        "id": kid,
        "signer": f"PRIVATE+KEY+{name}+{kid.hex()}+{b64(ALG + seed)}",
        "verifier": f"{name}+{kid.hex()}+{b64(ALG + public)}",
    }


def checkpoint(origin, size, root, extensions=()):
    return f"{origin}\n{size}\n{b64(root)}\n" + "".join(line + "\n" for line in extensions)


def sign(body, *keys):
    lines = "".join(
        f"\u2014 {k['name']} {b64(k['id'] + k['private'].sign(body.encode()))}\n" for k in keys)
    return body + "\n" + lines


def verify(note, k):
    body, _, signatures = note.rpartition("\n\n")
    body += "\n"
    public = Ed25519PublicKey.from_public_bytes(base64.b64decode(k["verifier"].split("+")[2])[1:])
    for line in signatures.splitlines():
        _, name, sig = line.split(" ")
        raw = base64.b64decode(sig)
        if name == k["name"] and raw[:4] == k["id"]:
            public.verify(raw[4:], body.encode())
            return True
    return False


def swift(text):
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


EMPTY = hashlib.sha256(b"").digest()
ROOT_3 = bytes.fromhex("7bd6a30fc6861101b317d3ee5feecf1098444b5d39d84a011c450230c824268a")
ROOT_13 = bytes.fromhex("34a18abb6d39bfdd6886b60c30bcdfd9fb79b7496eeeb5461d665104d6a00966")

if __name__ == "__main__":
    a = key(1, "tally.local/test")
    b = key(2, "tally.local/other")
    notes = [
        ("empty", sign(checkpoint("tally.local/test", 0, EMPTY), a)),
        ("size3", sign(checkpoint("tally.local/test", 3, ROOT_3), a)),
        ("size13Extension", sign(checkpoint("tally.local/test", 13, ROOT_13, ["tally-extension value"]), a)),
        ("twoSigners", sign(checkpoint("tally.local/test", 3, ROOT_3), b, a)),
        ("otherKey", sign(checkpoint("tally.local/test", 3, ROOT_3), b)),
    ]
    for name, note in notes:
        assert verify(note, a) == (name != "otherKey"), name
    print(f"static let signerKey = {swift(a['signer'])}")
    print(f"static let verifierKey = {swift(a['verifier'])}")
    print(f"static let otherSignerKey = {swift(b['signer'])}")
    print(f"static let otherVerifierKey = {swift(b['verifier'])}")
    for name, note in notes:
        print(f"static let {name} = {swift(note)}")
