#!/usr/bin/env python3
"""Derives the known-answer vectors in Tests/TallyVerifyTests/KnownAnswerTests.swift.

An independent reference: RFC 9162 §2.1.1 (MTH), §2.1.3.1 (PATH) and §2.1.4.1 (PROOF/SUBPROOF)
written straight from the RFC's recursive definitions with hashlib, sharing no code with Tally.
Leaf i (from 0) has the content b"tally leaf <i>" (ASCII). Run: python3 tools/merkle-vectors.py
"""
import hashlib


def leaf_hash(content):
    return hashlib.sha256(b"\x00" + content).digest()


def node_hash(left, right):
    return hashlib.sha256(b"\x01" + left + right).digest()


def split(n):
    """The largest power of two smaller than n (n > 1)."""
    k = 1
    while k * 2 < n:
        k *= 2
    return k


def mth(leaves):
    if len(leaves) == 0:
        return hashlib.sha256(b"").digest()
    if len(leaves) == 1:
        return leaves[0]
    k = split(len(leaves))
    return node_hash(mth(leaves[:k]), mth(leaves[k:]))


def path(m, leaves):
    if len(leaves) == 1:
        return []
    k = split(len(leaves))
    if m < k:
        return path(m, leaves[:k]) + [mth(leaves[k:])]
    return path(m - k, leaves[k:]) + [mth(leaves[:k])]


def subproof(m, leaves, complete):
    n = len(leaves)
    if m == n:
        return [] if complete else [mth(leaves)]
    k = split(n)
    if m <= k:
        return subproof(m, leaves[:k], complete) + [mth(leaves[k:])]
    return subproof(m - k, leaves[k:], False) + [mth(leaves[:k])]


def proof(m, leaves):
    return subproof(m, leaves, True) if 0 < m < len(leaves) else []


LEAVES = [leaf_hash(b"tally leaf %d" % i) for i in range(16)]

print("// leaf hashes")
for i in range(8):
    print('(%d, "%s"),' % (i, LEAVES[i].hex()))
print("// roots")
for n in range(0, 14):
    print('(%d, "%s"),' % (n, mth(LEAVES[:n]).hex()))
print("// inclusion proofs (leaf index, tree size, path)")
for m, n in [(0, 1), (0, 2), (1, 2), (2, 3), (0, 5), (4, 5), (3, 7), (6, 7), (5, 8), (9, 13), (12, 13)]:
    print("(%d, %d, [%s])," % (m, n, ", ".join('"%s"' % h.hex() for h in path(m, LEAVES[:n]))))
print("// consistency proofs (old size, new size, path)")
for m, n in [(1, 1), (1, 2), (1, 8), (2, 5), (3, 7), (4, 7), (4, 8), (5, 8), (6, 13), (7, 13), (8, 13), (12, 13)]:
    print("(%d, %d, [%s])," % (m, n, ", ".join('"%s"' % h.hex() for h in proof(m, LEAVES[:n]))))
