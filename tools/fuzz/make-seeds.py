#!/usr/bin/env python3
"""Writes the seed corpora of tools/fuzz.sh into tools/fuzz/corpus/<target>/ (run once; the files are committed).

Seeds are small valid inputs (and a few near misses) for each target of tools/TallyFuzz, written
from docs/FORMAT.md and the C2SP specifications, not with Tally's code:
  record      event records (format version 1): header, tags, data and metadata lengths
  json        JSON texts: scalars, nesting, escapes, surrogates, repeated names, numbers
  append      raw append bodies: single and multi-stream, expectations, conditions
  command     ledger command bodies
  checkpoint  checkpoints, notes signed by the fuzz key (seed 0x2A * 32, as in CheckpointTarget.swift), verifier keys
  proof       byte strings the proof target reads as sizes, paths and a reference tree's shape
Needs Python's `cryptography` (Ed25519), as tools/checkpoint-vectors.py does.
"""
import base64
import hashlib
import json
import os
import struct
import uuid

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "corpus")


def write(target, name, data):
    folder = os.path.join(ROOT, target)
    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(folder, name), "wb") as file:
        file.write(data if isinstance(data, bytes) else data.encode())


def record(revision, event_id, micros, stream, type_, tags, data, metadata, tombstone=b""):
    """docs/FORMAT.md, record version 1 (big-endian; the position is the key, not in the record).

    An erased event's data field is its tombstone (0x00, the original data's digest, the erasure's
    position) followed by the JSON the erasure kept."""
    out = struct.pack(">BQ", 1, revision) + uuid.UUID(event_id).bytes + struct.pack(">q", micros)
    for text in (stream, type_):
        out += struct.pack(">H", len(text.encode())) + text.encode()
    out += struct.pack(">H", len(tags))
    for tag in tags:
        out += struct.pack(">H", len(tag.encode())) + tag.encode()
    out += struct.pack(">I", len(tombstone) + len(data.encode())) + tombstone + data.encode()
    out += struct.pack(">I", len(metadata.encode())) + metadata.encode()
    return out


def records():
    write("record", "deposit", record(3, "0190f3a2-8d4e-7b1c-9a2f-3c4d5e6f7a8b", 1_764_252_309_123_456,
                                      "account-a1", "deposited", ["account:a1"],
                                      '{"account":"a1","amount":250}', '{"correlationId":"req-1"}'))
    write("record", "no-tags", record(0, "00000000-0000-4000-8000-000000000001", 0, "s", "t", [], "1", "{}"))
    write("record", "many-tags", record(2**64 - 1, "ffffffff-ffff-4fff-bfff-ffffffffffff", -1, "stream-é",
                                        "type", ["a", "b", "c:d"], '["x",{"y":null}]', '{"actor":"k"}'))
    tombstone = b"\x00" + hashlib.sha256(b'{"account":"a1","owner":"Ada"}').digest() + struct.pack(">Q", 12)
    write("record", "erased", record(0, "0190f3a2-8d4e-7b1c-9a2f-3c4d5e6f7a8c", 1_764_252_309_000_000, "account-a1",
                                     "accountOpened", [], '{"account":"a1"}', "{}", tombstone))
    write("record", "truncated", record(1, "00000000-0000-4000-8000-000000000002", 5, "s", "t", [], "{}", "{}")[:-3])


def jsons():
    texts = {
        "object": '{"a":1,"b":[true,false,null],"c":{"d":"e"}}',
        "array": ' [1, -0, 2.5e-3, 1E+2, "x"] ',
        "string-escapes": '"\\u00e9\\ud83d\\ude00\\n\\t\\"\\\\\\/"',
        "utf8": '{"ключ":"значение","😀":"ok"}',
        "nested": "[" * 64 + "]" * 64,
        "too-deep": "[" * 65 + "]" * 65,
        "duplicate": '{"a":1,"\\u0061":2}',
        "lone-surrogate": '"\\udc00"',
        "number": "-12345678901234567890.5e10",
        "literal": "null",
        "bad-trailing": '{"a":1} x',
    }
    for name, text in texts.items():
        write("json", name, text)


def appends():
    event = {"type": "deposited", "tags": ["account:a1"], "data": {"account": "a1", "amount": 5}}
    bodies = {
        "single": {"expectedRevision": "noStream", "events": [event]},
        "single-exact": {"expectedRevision": 3, "events": [dict(event, id="0190f3a2-8d4e-7b1c-9a2f-3c4d5e6f7a8b",
                                                                metadata={"actor": "x"})]},
        "multi": {"expectedRevisions": {"account-a1": "exists", "account-b2": "any"},
                  "events": [dict(event, stream="account-a1"), dict(event, stream="account-b2", data=[1, "two"])]},
        "condition": {"events": [dict(event, stream="course-c1")],
                      "condition": {"failIfEventsMatch": [{"types": ["enrolled"], "tags": ["course:c1"]},
                                                          {"category": "course", "streamPrefix": "course-c"}],
                                    "after": 41}},
    }
    for name, body in bodies.items():
        write("append", name, json.dumps(body))
    write("append", "raw-data", '{"events":[{"type":"t","data":  {"b" : 1 ,"a":[ ]}  }]}')


def commands():
    bodies = {
        "open": {"id": "a1", "owner": "Ada", "currency": "EUR", "overdraftLimit": 100},
        "movement": {"account": "a1", "amount": 250},
        "transfer": {"from": "a1", "to": "b2", "amount": 9223372036854775807},
        "account": {"account": "a1"},
        "unknown-member": {"account": "a1", "amont": 1},
    }
    for name, body in bodies.items():
        write("command", name, json.dumps(body))
    write("command", "wrong-type", '{"account": 1, "amount": "5"}')
    # Valid syntax, but no Swift number holds it: once a 500 (found by the fuzzer in CI).
    write("command", "number-out-of-range", '{"account":"a","amount":922E372036854775807}')


def checkpoints():
    name = "fuzz.tally.local/log"
    seed = bytes([0x2A] * 32)
    private = Ed25519PrivateKey.from_private_bytes(seed)
    public = private.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    key_id = hashlib.sha256(name.encode() + b"\n\x01" + public).digest()[:4]
    b64 = lambda data: base64.b64encode(data).decode()
    root = hashlib.sha256(b"fuzz root").digest()
    body = f"{name}\n41000\n{b64(root)}\n"
    extended = f"{name}\n7\n{b64(hashlib.sha256(b'').digest())}\nan extension line\n"

    def sign(text):
        return f"{text}\n\u2014 {name} {b64(key_id + private.sign(text.encode()))}\n"

    write("checkpoint", "checkpoint", body)
    write("checkpoint", "note", sign(body))
    write("checkpoint", "note-extension", sign(extended))
    write("checkpoint", "note-two-signers", sign(body) + f"\u2014 other.example/log {b64(b'abcd' + bytes(64))}\n")
    verifier = name + "+" + key_id.hex() + "+" + b64(b"\x01" + public)
    write("checkpoint", "verifier-key", verifier + "\n")


def proofs():
    write("proof", "zeros", bytes(20))
    write("proof", "sizes", struct.pack(">QQ", 5, 13) + bytes([4]) + bytes(range(200)) + bytes([12, 3, 7, 9]))
    write("proof", "large", struct.pack(">QQ", 2**63, 2**64 - 1) + bytes([63]) + bytes(64) + bytes([255] * 12))


if __name__ == "__main__":
    records()
    jsons()
    appends()
    commands()
    checkpoints()
    proofs()
