#!/usr/bin/env python3
"""make_corpus.py - writes the fuzz seed corpora (tests/fuzz/corpus/*) from hand-encoded protobuf.

Run from the project root: python3 tests/fuzz/make_corpus.py
It only adds or overwrites the seeds it names; regression seeds saved from
fuzzer crashes are left alone. The frame corpus (fuzz_frame.c) also needs
the secure channel's cryptography, and the audit_verify corpus (fuzz_audit_verify.c)
the chain's signatures, which they take from libsodium by ctypes.
"""
import ctypes
import ctypes.util
import hashlib
import os
import struct
import sys

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "corpus")


def varint(n):
    if n < 0:
        n += 1 << 64  # int64 on the wire: ten bytes, two's complement
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        if n:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def field_varint(num, value):
    return varint(num << 3 | 0) + varint(value)


def field_bytes(num, value):
    if isinstance(value, str):
        value = value.encode()
    return varint(num << 3 | 2) + varint(len(value)) + value


def request_frame(method=None, request_id=None, deadline=None, payload=None):
    """baton.v1.RequestFrame: method=1, request_id=2, deadline_unix_ms=3, payload=4."""
    out = b""
    if method is not None:
        out += field_bytes(1, method)
    if request_id is not None:
        out += field_bytes(2, request_id)
    if deadline is not None:
        out += field_varint(3, deadline)
    if payload is not None:
        out += field_bytes(4, payload)
    return out


RID = bytes(range(0x10, 0x20))
PING = "/baton.v1.System/Ping"
INFO = "/baton.v1.System/Info"
CHECK = "/baton.v1.Health/Check"
YEAR_2100_MS = 4102444800000

DISPATCH = {
    "ping_empty": request_frame(PING, RID),
    "ping_payload": request_frame(PING, RID, payload=field_bytes(1, b"hello, baton")),
    "ping_binary_payload": request_frame(PING, RID, payload=field_bytes(1, bytes(range(256)))),
    "ping_large_payload": request_frame(PING, RID, payload=field_bytes(1, b"x" * 6000)),
    "ping_no_request_id": request_frame(PING, payload=field_bytes(1, b"abc")),
    "ping_unknown_payload_field": request_frame(PING, RID, payload=field_varint(7, 42)),
    "ping_future_deadline": request_frame(PING, RID, YEAR_2100_MS, field_bytes(1, b"later")),
    "ping_past_deadline": request_frame(PING, RID, 1),
    "ping_negative_deadline": request_frame(PING, RID, -1),
    "ping_payload_truncated": request_frame(PING, RID, payload=b"\x0a\x10abc"),
    "ping_payload_wrong_wiretype": request_frame(PING, RID, payload=field_varint(1, 5)),
    "health_check_server": request_frame(CHECK, RID),
    "health_check_system": request_frame(CHECK, RID, payload=field_bytes(1, "baton.v1.System")),
    "health_check_health": request_frame(CHECK, RID, payload=field_bytes(1, "baton.v1.Health")),
    "health_check_unknown_service": request_frame(CHECK, RID,
        payload=field_bytes(1, "no.such.Service\n\x01")),
    "health_check_payload_wrong_wiretype": request_frame(CHECK, RID,
        payload=field_varint(1, 3)),
    "system_info": request_frame(INFO, RID),
    "system_info_no_request_id": request_frame(INFO),
    "unknown_method": request_frame("/baton.v1.System/Nope", RID),
    "unknown_service": request_frame("/baton.v1.Nope/Ping", RID),
    "unknown_method_unprintable": request_frame("/baton.v1\x01\x7f\t System/Ping\n", RID),
    "unknown_method_long": request_frame("/" + "baton.v1.System" * 20 + "/Ping", RID),
    "method_empty": request_frame("", RID),
    "request_id_5_bytes": request_frame(PING, b"\x01\x02\x03\x04\x05"),
    "request_id_17_bytes": request_frame(PING, bytes(17)),
    "reserved_field_5": request_frame(PING, RID) + field_bytes(5, b"session"),
    "fields_repeated": request_frame(INFO, RID) + request_frame(PING, bytes(16)),
    "empty_frame": b"",
    "garbage_ff": b"\xff" * 12,
    "garbage_truncated_varint": b"\x1a\x80\x80\x80",
    "garbage_length_too_long": b"\x0a\x7f/baton",
    "garbage_text": b"GET / HTTP/1.1\r\nHost: batond\r\n\r\n",
    "garbage_group_wiretype": b"\x0b\x0c",
    # Regressions (UBSan): rpc_dispatch memcpy'd from request_id.data, NULL
    # when the frame has no request_id; and computed now - deadline for a
    # deadline near INT64_MIN, a signed overflow.
    "regression_no_request_id_memcpy_null": request_frame(PING),
    "regression_deadline_int64_min_overflow": request_frame(PING, RID, -(1 << 63)),
}

CONFIG = {
    "empty": b"",
    "help": b"--help",
    "version": b"--version",
    "short_help": b"-h",
    "all_flags": b"\0".join([
        b"--listen=tcp://127.0.0.1:7401", b"--database-url", b"dbname=baton",
        b"--workers=4", b"--max-message-bytes", b"65536", b"--max-call-ms=1000",
        b"--drain-ms=0", b"--db-wait-ms=600000", b"--log-level=debug", b"--log-format=json",
    ]),
    "workers_out_of_range": b"--workers=0",
    "workers_not_a_number": b"--workers= 8",
    "workers_overflow": b"--workers=99999999999999999999999",
    "log_level_bad": b"--log-level=loud",
    "missing_value": b"--listen",
    "unknown_flag": b"--nope=1",
    "ambiguous_prefix": b"--log=info",
    "unique_prefix": b"--work=2",
    "short_cluster": b"-hx",
    "unknown_short_in_cluster": b"-xV",
    "stray_argument": b"--workers=2\0stray",
    "double_dash": b"--\0--workers=2",
    "listen_too_long": b"--listen=" + b"a" * 300,
}


# --- frame corpus (tests/fuzz/fuzz_frame.c) -----------------------------------
#
# The first byte of a seed picks fuzz_frame.c's mode (byte % 5) and its
# options (byte // 5); the keys, ephemeral secrets and session ids are the
# harness's fixed ones (its setup()): the agent's handshake is
# docs/protocol.md's test vector, checked below value by value.

MODE_SEALED, MODE_OUTER, MODE_HELLO, MODE_WELCOME, MODE_REPLY = range(5)
OPT_ADMIN, OPT_SIGN = 1, 2
COUNTER_OPTS = {1: 0, 2: 1, 1029: 2, (1 << 64) - 1: 3}  # OPT_COUNTER_SHIFT = 2


def seed_mode(mode, opts=0):
    return bytes([mode + 5 * opts])


def sealed_opts(admin=False, sign=False, counter=1):
    return (OPT_ADMIN if admin else 0) | (OPT_SIGN if sign else 0) | COUNTER_OPTS[counter] << 2


def counting(start, n):
    return bytes((start + i) & 0xFF for i in range(n))


def field_fixed64(num, value):
    return varint(num << 3 | 1) + struct.pack("<Q", value)


class Sodium:
    """The few libsodium calls the secure channel needs."""

    def __init__(self):
        self.lib = ctypes.CDLL(ctypes.util.find_library("sodium") or "libsodium.so.23")
        if self.lib.sodium_init() < 0:
            raise RuntimeError("sodium_init failed")

    def sign_keypair(self, seed):
        pk, sk = ctypes.create_string_buffer(32), ctypes.create_string_buffer(64)
        if self.lib.crypto_sign_seed_keypair(pk, sk, seed) != 0:
            raise RuntimeError("crypto_sign_seed_keypair failed")
        return pk.raw, sk.raw

    def sign(self, sk, m):
        sig = ctypes.create_string_buffer(64)
        if self.lib.crypto_sign_detached(sig, None, m, ctypes.c_ulonglong(len(m)), sk) != 0:
            raise RuntimeError("crypto_sign_detached failed")
        return sig.raw

    def x25519_base(self, secret):
        out = ctypes.create_string_buffer(32)
        if self.lib.crypto_scalarmult_base(out, secret) != 0:
            raise RuntimeError("crypto_scalarmult_base failed")
        return out.raw

    def x25519(self, secret, public):
        out = ctypes.create_string_buffer(32)
        if self.lib.crypto_scalarmult(out, secret, public) != 0:
            raise RuntimeError("crypto_scalarmult failed")
        return out.raw

    def aead_seal(self, key, nonce, ad, plain):
        out = ctypes.create_string_buffer(len(plain) + 16)
        out_len = ctypes.c_ulonglong()
        if self.lib.crypto_aead_xchacha20poly1305_ietf_encrypt(
                out, ctypes.byref(out_len), plain, ctypes.c_ulonglong(len(plain)), ad,
                ctypes.c_ulonglong(len(ad)), None, nonce, key) != 0:
            raise RuntimeError("crypto_aead_xchacha20poly1305_ietf_encrypt failed")
        return out.raw[:out_len.value]


def h32(data):
    return hashlib.blake2b(data, digest_size=32).digest()


HELLO_TIME_MS = 1767225600000
WELCOME_EXPIRES_MS = 1767229200000


class Session:
    """One principal's fixed handshake with the fixed server, as chan.c does it."""

    def __init__(self, na, server_pk, server_sk, seed_from, ce_from, se_from, sid_from):
        self.na = na
        self.pk, self.sk = na.sign_keypair(counting(seed_from, 32))
        self.server_pk, self.server_sk = server_pk, server_sk
        self.ce_secret, self.se_secret = counting(ce_from, 32), counting(se_from, 32)
        self.ce = na.x25519_base(self.ce_secret)
        self.se = na.x25519_base(self.se_secret)
        self.sid = counting(sid_from, 16)
        self.h1 = self.hello_hash()
        self.sig_c = na.sign(self.sk, self.h1)
        self.h2, self.sig_s = self.welcome_sign(server_sk, self.sid, self.se, WELCOME_EXPIRES_MS)
        shared = na.x25519(self.ce_secret, self.se)
        k = hashlib.blake2b(b"baton/1 session keys" + self.h2 + self.sig_s, digest_size=64,
                            key=shared).digest()
        self.c2s, self.s2c, self.binding = k[:32], k[32:], self.h2

    def hello_hash(self, version=1, time_ms=HELLO_TIME_MS):
        return h32(b"baton/1 handshake init" + struct.pack("<I", version) + self.server_pk +
                   self.pk + self.ce + struct.pack("<q", time_ms))

    def welcome_sign(self, server_sk, sid, se, expires):
        h2 = h32(b"baton/1 handshake reply" + self.h1 + self.sig_c + sid + se +
                 struct.pack("<q", expires))
        return h2, self.na.sign(server_sk, h2)

    def hello(self, **over):
        """HandshakeRequest: version=1, server_key=2, client_key=3, client_ephemeral=4,
        time_unix_ms=5, signature=6."""
        f = dict(version=1, server_key=self.server_pk, client_key=self.pk,
                 client_ephemeral=self.ce, time=HELLO_TIME_MS, signature=self.sig_c)
        f.update(over)
        return (field_varint(1, f["version"]) + field_bytes(2, f["server_key"]) +
                field_bytes(3, f["client_key"]) + field_bytes(4, f["client_ephemeral"]) +
                field_varint(5, f["time"]) + field_bytes(6, f["signature"]))

    def welcome(self, **over):
        """HandshakeReply: session_id=1, server_ephemeral=2, expires_unix_ms=3, signature=4."""
        f = dict(session_id=self.sid, server_ephemeral=self.se, expires=WELCOME_EXPIRES_MS,
                 signature=self.sig_s)
        f.update(over)
        return (field_bytes(1, f["session_id"]) + field_bytes(2, f["server_ephemeral"]) +
                field_varint(3, f["expires"]) + field_bytes(4, f["signature"]))

    def seal(self, key, label, counter, plain):
        nonce = struct.pack("<Q", counter) + bytes(16)
        ad = label + self.sid + struct.pack("<Q", counter)
        return self.na.aead_seal(key, nonce, ad, plain)

    def seal_request(self, counter, plain):
        return self.seal(self.c2s, b"baton/1 c2s", counter, plain)

    def seal_reply(self, counter, plain):
        return self.seal(self.s2c, b"baton/1 s2c", counter, plain)

    def request_signature(self, method, request_id, payload, binding=None):
        m = (b"baton/1 request" + (binding or self.binding) + struct.pack("<H", len(method)) +
             method.encode() + request_id + h32(payload))
        return self.na.sign(self.sk, m)


def outer_frame(session_id, counter, sealed):
    """The outer RequestFrame of a sealed request: session_id=5, counter=6, sealed=7."""
    return field_bytes(5, session_id) + field_fixed64(6, counter) + field_bytes(7, sealed)


def reply_frame(status=0, message=None, payload=None, request_id=None, counter=None, sealed=None,
                renew=False):
    """baton.v1.ReplyFrame: status=1, message=2, payload=3, request_id=4, counter=6,
    sealed=7, renew_session=8."""
    out = b""
    if status:
        out += field_varint(1, status)
    if message is not None:
        out += field_bytes(2, message)
    if payload is not None:
        out += field_bytes(3, payload)
    if request_id is not None:
        out += field_bytes(4, request_id)
    if counter is not None:
        out += field_fixed64(6, counter)
    if sealed is not None:
        out += field_bytes(7, sealed)
    if renew:
        out += field_varint(8, 1)
    return out


def flip(data, index, bit=0):
    b = bytearray(data)
    b[index] ^= 1 << bit
    return bytes(b)


# docs/protocol.md, "Test vector": the agent's session must reproduce it.
VECTOR = {
    "client_key": "79b5562e8fe654f94078b112e8a98ba7901f853ae695bed7e0e3910bad049664",
    "server_key": "e7f162a10bec559afea195e4dce84b69568d5d2cb0963eb446c0685e2b17f2f0",
    "h1": "d89ea40028f5a3916813c1f7d58354f5b98892cfedaba45a404c6608d78a79dd",
    "sig_c": "b10caf24a74bd2d9c7a6c990b5b3959b9a52f2d366d8759d64358b3f984e0d4e"
             "25a87b7a2540ecd75602c63b77c2231f81c2f3b89fc674e87e3b027a55f0c00b",
    "h2": "8cd8015148aae5a93a870700204938a68a3dc93ac6cc492a0cfa9e395cc41d1f",
    "sig_s": "c41f334248a9cff192071afe94f5e6e08d391e70254a3940e06b4ecec13063d0"
             "cd7cf4cb725d1faac374be1d63f4eb1c634c5c97a9e449e6b2f98f377238350f",
    "c2s": "fffe62ddc60bb10fed9899d9f1b0b8f8fc93d37618372d4664ef433b457bd3d9",
    "s2c": "7bfcd2645c2efbcb64f08a82bf556d17040492487302122afbe2283a50c9fb87",
    "request_sealed": "21be6faaf47281b6ee8453830b932ab35318ee7ed5",
    "reply_sealed": "ce244dfefd09e8ee312ff5c90a32a4107a5b329ac6",
    "sig": "67c744e0d7c51e8aa13aba107183aaf987299d6dd61c4a58dc2b65e1cbd842e8"
           "a4fc4ee69127fb94b0c306f00dbe747bdf6e232838c94835c0113cdb13b90205",
}

ADD_ORG = "/baton.v1.Identity/AddOrg"
ADD_KEY = "/baton.v1.Identity/AddKey"
ADD_PRINCIPAL = "/baton.v1.Identity/AddPrincipal"
HANDSHAKE = "/baton.v1.Session/Handshake"
STATUS_PERMISSION_DENIED, STATUS_UNAUTHENTICATED = 7, 16


def inner_frame(method=None, request_id=None, deadline=None, payload=None, signature=None,
                session_id=None, sealed=None):
    """An inner RequestFrame; signature=8 (session_id=5 and sealed=7 only to test nesting)."""
    out = request_frame(method, request_id, deadline, payload)
    if session_id is not None:
        out += field_bytes(5, session_id)
    if sealed is not None:
        out += field_bytes(7, sealed)
    if signature is not None:
        out += field_bytes(8, signature)
    return out


def frame_seeds():
    na = Sodium()
    server_pk, server_sk = na.sign_keypair(counting(0x21, 32))
    agent = Session(na, server_pk, server_sk, 0x01, 0x41, 0x61, 0xA0)
    admin = Session(na, server_pk, server_sk, 0x81, 0xC1, 0xE1, 0xB0)
    vector_rid = bytes(range(16))
    got = {
        "client_key": agent.pk, "server_key": server_pk, "h1": agent.h1, "sig_c": agent.sig_c,
        "h2": agent.h2, "sig_s": agent.sig_s, "c2s": agent.c2s, "s2c": agent.s2c,
        "request_sealed": agent.seal_request(1, b"hello"),
        "reply_sealed": agent.seal_reply(1, b"world"),
        "sig": agent.request_signature(ADD_ORG, vector_rid, b"abc"),
    }
    for name, want in VECTOR.items():
        if got[name].hex() != want:
            raise SystemExit(f"make_corpus: {name} differs from docs/protocol.md's test vector")

    ping = request_frame(PING, RID, payload=field_bytes(1, b"hello"))
    org = (field_bytes(1, "Acme Support") + field_bytes(2, "partner") + field_bytes(3, "en") +
           field_bytes(4, "Europe/Berlin"))
    org_sig = admin.request_signature(ADD_ORG, RID, org)
    add_org_signed = inner_frame(ADD_ORG, RID, payload=org, signature=org_sig)
    add_org_unsigned = inner_frame(ADD_ORG, RID, payload=org)
    ping_reply = reply_frame(payload=field_bytes(1, b"hello"), request_id=RID)
    seeds = {}

    def sealed(name, plain, **opts):
        seeds["sealed_" + name] = seed_mode(MODE_SEALED, sealed_opts(**opts)) + plain

    sealed("ping_agent", ping)
    sealed("ping_admin", ping, admin=True)
    sealed("ping_counter_2", ping, counter=2)
    sealed("ping_counter_1029", ping, admin=True, counter=1029)
    sealed("ping_counter_max", ping, counter=(1 << 64) - 1)
    sealed("ping_no_request_id", request_frame(PING, payload=field_bytes(1, b"abc")))
    sealed("ping_future_deadline", request_frame(PING, RID, YEAR_2100_MS, field_bytes(1, b"x")))
    sealed("ping_past_deadline", request_frame(PING, RID, 1))
    sealed("ping_negative_deadline", request_frame(PING, RID, -1))
    sealed("ping_sign_flag", ping, sign=True)
    sealed("ping_truncated", ping[:-3])
    sealed("ping_bitflip_method", flip(ping, 5))
    sealed("ping_bitflip_length", flip(ping, 1, 6))
    sealed("ping_request_id_5_bytes", request_frame(PING, RID[:5]))
    sealed("health_check_agent", request_frame(CHECK, RID, payload=field_bytes(1, "baton.v1.System")))
    sealed("health_check_unknown_service", request_frame(CHECK, RID, payload=field_bytes(1, "no.Such")),
           admin=True)
    sealed("health_check_with_signature", inner_frame(CHECK, RID, signature=bytes(64)))
    sealed("info_agent", request_frame(INFO, RID))
    sealed("handshake_inside", request_frame(HANDSHAKE, RID, payload=agent.hello()))
    sealed("unknown_method", request_frame("/baton.v1.System/Pong", RID))
    sealed("empty", b"")
    sealed("garbage", b"\xff" * 8)
    sealed("nested", inner_frame(PING, RID, session_id=agent.sid, sealed=bytes(20)))
    sealed("add_org_admin_signed", add_org_signed, admin=True)
    sealed("add_org_admin_sign_flag", add_org_unsigned, admin=True, sign=True)
    sealed("add_org_admin_unsigned", add_org_unsigned, admin=True)
    sealed("add_org_admin_bad_signature", inner_frame(ADD_ORG, RID, payload=org,
           signature=flip(org_sig, 10)), admin=True)
    sealed("add_org_admin_signature_63_bytes", inner_frame(ADD_ORG, RID, payload=org,
           signature=org_sig[:63]), admin=True)
    sealed("add_org_admin_signed_in_agent_session", inner_frame(ADD_ORG, RID, payload=org,
           signature=admin.request_signature(ADD_ORG, RID, org, binding=agent.binding)), admin=True)
    sealed("add_org_admin_signed_for_other_method", inner_frame(ADD_ORG, RID, payload=org,
           signature=admin.request_signature(ADD_PRINCIPAL, RID, org)), admin=True)
    sealed("add_org_admin_signed_payload_changed", inner_frame(ADD_ORG, RID,
           payload=org.replace(b"Acme", b"Acne"), signature=org_sig), admin=True)
    sealed("add_org_admin_signed_other_request_id", inner_frame(ADD_ORG, bytes(16), payload=org,
           signature=org_sig), admin=True)
    sealed("add_org_admin_no_request_id", inner_frame(ADD_ORG, payload=org), admin=True, sign=True)
    sealed("add_org_admin_signed_bad_payload", inner_frame(ADD_ORG, RID, payload=b"\xff\xff",
           signature=admin.request_signature(ADD_ORG, RID, b"\xff\xff")), admin=True)
    sealed("add_org_agent_signed", inner_frame(ADD_ORG, RID, payload=org,
           signature=agent.request_signature(ADD_ORG, RID, org)))
    sealed("add_org_doc_vector_agent", inner_frame(ADD_ORG, vector_rid, payload=b"abc",
           signature=got["sig"]))
    sealed("add_key_agent_sign_flag", inner_frame(ADD_KEY, RID), sign=True)

    # MODE_OUTER: whole frames, genuine ones included (their counter is new
    # in the harness's fresh sessions).
    ping_sealed = agent.seal_request(1, ping)
    ping_outer = outer_frame(agent.sid, 1, ping_sealed)
    outer = {
        "ping_agent": ping_outer,
        "ping_admin": outer_frame(admin.sid, 1, admin.seal_request(1, ping)),
        "ping_agent_counter_max": outer_frame(agent.sid, (1 << 64) - 1,
                                              agent.seal_request((1 << 64) - 1, ping)),
        "add_org_admin_signed": outer_frame(admin.sid, 7, admin.seal_request(7, add_org_signed)),
        "doc_vector_hello": outer_frame(agent.sid, 1, got["request_sealed"]),
        "ping_bitflip_body": outer_frame(agent.sid, 1, flip(ping_sealed, 3)),
        "ping_bitflip_tag": outer_frame(agent.sid, 1, flip(ping_sealed, len(ping_sealed) - 1, 7)),
        "ping_truncated_body": outer_frame(agent.sid, 1, ping_sealed[:-1]),
        "ping_sealed_15_bytes": outer_frame(agent.sid, 1, ping_sealed[:15]),
        "ping_wrong_session": outer_frame(admin.sid, 1, ping_sealed),
        "ping_unknown_session": outer_frame(counting(0xC0, 16), 1, ping_sealed),
        "ping_session_id_15_bytes": outer_frame(agent.sid[:15], 1, ping_sealed),
        "ping_counter_changed": outer_frame(agent.sid, 2, ping_sealed),
        "ping_counter_0": outer_frame(agent.sid, 0, agent.na.aead_seal(
            agent.c2s, bytes(24), b"baton/1 c2s" + agent.sid + bytes(8), ping)),
        "ping_with_method": field_bytes(1, PING) + ping_outer,
        "ping_with_request_id": field_bytes(2, RID) + ping_outer,
        "ping_with_payload": ping_outer + field_bytes(4, b"x"),
        "ping_with_outer_signature": ping_outer + field_bytes(8, bytes(64)),
        "ping_with_outer_deadline": field_varint(3, YEAR_2100_MS) + ping_outer,
        "ping_frame_truncated": ping_outer[:-5],
        "reflected_reply": outer_frame(agent.sid, 1, agent.seal_reply(1, ping)),
        "plain_ping": ping,
        "plain_health": request_frame(CHECK, RID),
        "plain_handshake": request_frame(HANDSHAKE, RID, payload=agent.hello()),
        "plain_with_signature": inner_frame(PING, RID, signature=bytes(64)),
        "empty": b"",
        "garbage": b"\x3a\xff\xff\xff\xff\x0f",
    }
    for name, data in outer.items():
        seeds["outer_" + name] = seed_mode(MODE_OUTER) + data

    # MODE_HELLO: only setup()'s two hellos carry a valid signature; the
    # harness fails if any other hello verifies, so none is re-signed here.
    hello = {
        "agent_valid": agent.hello(),
        "admin_valid": admin.hello(),
        "agent_fields_repeated": agent.hello() + field_varint(1, 1) + field_varint(5, HELLO_TIME_MS),
        "agent_unknown_field": agent.hello() + field_varint(9, 7),
        "agent_bad_signature": agent.hello(signature=flip(agent.sig_c, 0)),
        "agent_signature_of_admin": agent.hello(signature=admin.sig_c),
        "agent_wrong_server_key": agent.hello(server_key=agent.pk),
        "agent_version_2": agent.hello(version=2),
        "agent_time_outside_window": agent.hello(time=HELLO_TIME_MS + 30001),
        "agent_time_int64_min": agent.hello(time=-(1 << 63)),
        "agent_low_order_ephemeral": agent.hello(client_ephemeral=bytes(32)),
        "agent_signature_63_bytes": agent.hello(signature=agent.sig_c[:63]),
        "agent_client_key_31_bytes": agent.hello(client_key=agent.pk[:31]),
        "agent_version_2_client_key_31_bytes": agent.hello(version=2, client_key=agent.pk[:31]),
        "agent_truncated": agent.hello()[:-10],
        "empty": b"",
        "garbage": b"\x0a\xff\x01",
    }
    for name, data in hello.items():
        seeds["hello_" + name] = seed_mode(MODE_HELLO) + data

    # MODE_WELCOME: only the server's genuine welcomes may be accepted.
    impostor_pk, impostor_sk = na.sign_keypair(counting(0x99, 32))
    low_order_h2, low_order_sig = agent.welcome_sign(server_sk, agent.sid, bytes(32), WELCOME_EXPIRES_MS)
    welcome = {
        "agent_valid": agent.welcome(),
        "admin_valid": admin.welcome(),
        "agent_in_reply_frame": reply_frame(payload=agent.welcome(), request_id=RID),
        "agent_in_refusal": reply_frame(STATUS_UNAUTHENTICATED, "handshake refused",
                                        payload=agent.welcome()),
        "agent_bad_signature": agent.welcome(signature=flip(agent.sig_s, 63, 3)),
        "agent_expires_changed": agent.welcome(expires=WELCOME_EXPIRES_MS + 1),
        "agent_session_id_changed": agent.welcome(session_id=admin.sid),
        "agent_ephemeral_changed": agent.welcome(server_ephemeral=admin.se),
        "agent_signed_by_other_server": agent.welcome(
            signature=agent.welcome_sign(impostor_sk, agent.sid, agent.se, WELCOME_EXPIRES_MS)[1]),
        "agent_low_order_ephemeral_signed": agent.welcome(server_ephemeral=bytes(32),
                                                          signature=low_order_sig),
        "agent_signature_63_bytes": agent.welcome(signature=agent.sig_s[:63]),
        "agent_truncated": agent.welcome()[:-7],
        "empty": b"",
    }
    assert impostor_pk != server_pk and low_order_h2 != agent.h2
    for name, data in welcome.items():
        seeds["welcome_" + name] = seed_mode(MODE_WELCOME) + data

    # MODE_REPLY: sealed replies as the client reads them, and bare bodies.
    reply_sealed = agent.seal_reply(1, ping_reply)
    reply = {
        "sealed_ping_agent": reply_frame(counter=1, sealed=reply_sealed),
        "sealed_ping_admin": reply_frame(counter=1, sealed=admin.seal_reply(1, ping_reply)),
        "sealed_error": reply_frame(counter=1, sealed=agent.seal_reply(1, reply_frame(
            STATUS_PERMISSION_DENIED, "role agent may not call " + ADD_ORG, request_id=RID))),
        "doc_vector_world": reply_frame(counter=1, sealed=got["reply_sealed"]),
        "sealed_counter_changed": reply_frame(counter=2, sealed=reply_sealed),
        "sealed_counter_0": reply_frame(counter=0, sealed=reply_sealed),
        "sealed_bitflip": reply_frame(counter=1, sealed=flip(reply_sealed, 2)),
        "sealed_truncated": reply_frame(counter=1, sealed=reply_sealed[:-1]),
        "sealed_15_bytes": reply_frame(counter=1, sealed=reply_sealed[:15]),
        "reflected_request": reply_frame(counter=1, sealed=ping_sealed),
        "bare_body_agent": reply_sealed,
        "bare_body_doc_vector": got["reply_sealed"],
        "unsealed_refusal_renew": reply_frame(STATUS_UNAUTHENTICATED, "session unknown", renew=True),
        "unsealed_ok": ping_reply,
        "empty": b"",
    }
    for name, data in reply.items():
        seeds["reply_" + name] = seed_mode(MODE_REPLY) + data
    return seeds


# ---- audit export files (fuzz_audit_verify.c; docs/audit.md, "The file") ----------

AUDIT_MAGIC = b"BATONAUDIT1\n"
AUDIT_SERVER_SEED = counting(0xA0, 32)  # fuzz_audit_verify.c's fixed server key
AUDIT_ACTOR_SEED = counting(0x31, 32)
AUDIT_KEY_ID = "c0000000-0000-4000-8000-000000000005"
AUDIT_T0_US = 1767225600000000  # 2026-01-01T00:00:00Z


def audit_u64(n):
    return struct.pack(">Q", n & 0xFFFFFFFFFFFFFFFF)


def audit_field(value):
    """field(x) of docs/audit.md: u32 length || bytes, or u32 0xFFFFFFFF for an absent value."""
    if value is None:
        return b"\xff\xff\xff\xff"
    if isinstance(value, str):
        value = value.encode()
    return struct.pack(">I", len(value)) + value


# AuditEvent fields in hash order: (name, field number, has_* number or None, kind).
AUDIT_EVENT_FIELDS = [
    ("kind", 4, None, "s"), ("subject_id", 5, None, "s"), ("org_id", 6, 7, "s"),
    ("also_org_id", 8, 9, "s"), ("actor_id", 10, 11, "s"), ("actor_key_id", 12, 13, "s"),
    ("method", 14, 15, "s"), ("request_id", 16, 17, "b"), ("request_payload", 18, 19, "b"),
    ("session_binding", 20, 21, "b"), ("signature", 22, 23, "b"), ("body", 24, None, "s"),
]


def audit_event_hash(prev, e):
    m = b"baton-audit-v1\x00" + prev + audit_u64(e["seq"]) + audit_u64(e["event_id"]) + audit_u64(e["at"])
    for name, _, has, _ in AUDIT_EVENT_FIELDS:
        v = e.get(name)
        m += audit_field(v if v is not None or has is not None else "")
    return h32(m)


def audit_event(e):
    """baton.v1.AuditEvent: seq=1, event_id=2, at_unix_us=3, ..., hash=25, missing=26."""
    out = field_varint(1, e["seq"]) + field_varint(2, e["event_id"])
    if e.get("missing"):
        return out + field_bytes(25, e["hash"]) + field_varint(26, 1)
    out += field_varint(3, e["at"])
    for name, num, has, _ in AUDIT_EVENT_FIELDS:
        v = e.get(name)
        if v is not None:
            out += field_bytes(num, v)
            if has is not None:
                out += field_varint(has, 1)
    return out + field_bytes(25, e["hash"])


def audit_checkpoint(cp):
    """baton.v1.AuditCheckpoint: seq=1, hash=2, at_unix_us=3, server_public_key=4, signature=5."""
    return (field_varint(1, cp["seq"]) + field_bytes(2, cp["hash"]) + field_varint(3, cp["at"]) +
            field_bytes(4, cp["server_pk"]) + field_bytes(5, cp["signature"]))


def audit_key(k):
    """baton.v1.AuditKey: key_id=1, principal_id=2, handle=3, public_key=4, created=5, revoked=6."""
    out = (field_bytes(1, k["key_id"]) + field_bytes(2, k["principal_id"]) + field_bytes(3, k["handle"]) +
           field_bytes(4, k["public_key"]) + field_varint(5, k["created"]))
    return out + (field_varint(6, k["revoked"]) if k.get("revoked") else b"")


def audit_page(events=(), checkpoints=(), keys=(), sealed_seq=0, unsealed=0, more=False):
    """baton.v1.ExportAuditReply: events=1, checkpoints=2, keys=3, sealed_seq=4, unsealed_events=5, more=6."""
    out = b"".join(field_bytes(1, audit_event(e)) for e in events)
    out += b"".join(field_bytes(2, audit_checkpoint(cp)) for cp in checkpoints)
    out += b"".join(field_bytes(3, audit_key(k)) for k in keys)
    if sealed_seq:
        out += field_varint(4, sealed_seq)
    if unsealed:
        out += field_varint(5, unsealed)
    if more:
        out += field_varint(6, 1)
    return out


def audit_file(pages):
    return AUDIT_MAGIC + b"".join(struct.pack(">I", len(p)) + p for p in pages)


def audit_seeds():
    na = Sodium()
    server_pk, server_sk = na.sign_keypair(AUDIT_SERVER_SEED)
    other_pk, other_sk = na.sign_keypair(counting(0x21, 32))
    actor_pk, actor_sk = na.sign_keypair(AUDIT_ACTOR_SEED)
    key = dict(key_id=AUDIT_KEY_ID, principal_id="a0000000-0000-4000-8000-000000000004", handle="anna",
               public_key=actor_pk, created=AUDIT_T0_US - 1000000)
    take = "/baton.v1.Tickets/TakeTicket"
    payload, binding, rid = b"\x0a\x03abc", counting(0xB1, 32), counting(0x10, 16)
    sig = na.sign(actor_sk, b"baton/1 request" + binding + struct.pack("<H", len(take)) + take.encode() +
                  rid + h32(payload))

    def chain(n, signed=(2,), missing=(), alter=None):
        """Events 1..n hashed in order (alter(e) changes one after hashing); signed ones by anna."""
        events, prev = [], bytes(32)
        for seq in range(1, n + 1):
            e = dict(seq=seq, event_id=1000 + seq, at=AUDIT_T0_US + seq * 1000, kind="ticket.created",
                     subject_id="7f1c2a9e-0000-4000-8000-%012d" % seq, body='{"n": %d}' % seq,
                     org_id="0b6b0b1e-0000-4000-8000-000000000002")
            if seq in signed:
                e.update(kind="ticket.taken", actor_id=key["principal_id"], actor_key_id=AUDIT_KEY_ID,
                         method=take, request_id=rid, request_payload=payload, session_binding=binding,
                         signature=sig)
            e["hash"] = prev = audit_event_hash(prev, e)
            if seq in missing:
                e = dict(seq=seq, event_id=e["event_id"], hash=e["hash"], missing=True)
            events.append(e)
        if alter:
            alter(events)
        return events

    def checkpoint(e, sk=server_sk, pk=server_pk, at=None):
        at = at if at is not None else e["at"] + 500000
        m = b"baton-checkpoint-v1\x00" + audit_u64(e["seq"]) + e["hash"] + audit_u64(at)
        return dict(seq=e["seq"], hash=e["hash"], at=at, server_pk=pk, signature=na.sign(sk, m))

    def one_page(events, checkpoints, keys=(key,), **kw):
        return audit_file([audit_page(events, checkpoints, keys, sealed_seq=len(events), **kw)])

    ev = chain(3)
    valid = one_page(ev, [checkpoint(ev[2])])
    two_pages = audit_file([
        audit_page(ev[:2], [checkpoint(ev[1])], [key], sealed_seq=3, more=True),
        audit_page(ev[2:], [checkpoint(ev[2])], sealed_seq=3),
    ])

    def body_altered(events):
        events[1]["body"] = '{"n": 2, "tampered": true}'

    def swapped(events):
        events[0]["body"], events[1]["body"] = events[1]["body"], events[0]["body"]

    revoked = dict(key, revoked=AUDIT_T0_US + 1500)
    bad_sig = checkpoint(ev[2])
    bad_sig["signature"] = flip(bad_sig["signature"], 10)
    seeds = {
        "valid_3_events_1_checkpoint": valid,
        "valid_two_pages": two_pages,
        "valid_uncovered_unsealed": one_page(ev, [checkpoint(ev[1])], unsealed=4),
        "valid_no_checkpoint_no_keys": one_page(chain(2, signed=()), [], keys=()),
        "valid_two_checkpoints_unsorted": one_page(ev, [checkpoint(ev[2]), checkpoint(ev[0])]),
        "missing_event": one_page(chain(3, missing=(2,)), [checkpoint(ev[2])]),
        "gap_seq_2": one_page([ev[0], ev[2]], [checkpoint(ev[2])]),
        "starts_at_seq_2": one_page(ev[1:], [checkpoint(ev[2])]),
        "out_of_order": one_page([ev[0], ev[1], ev[0]], []),
        "body_altered": one_page(chain(3, alter=body_altered), [checkpoint(ev[2])]),
        "bodies_swapped": one_page(chain(3, alter=swapped), [checkpoint(ev[2])]),
        "actor_key_unknown": one_page(ev, [checkpoint(ev[2])], keys=(dict(key, key_id="someone-else"),)),
        "actor_key_revoked": one_page(ev, [checkpoint(ev[2])], keys=(revoked,)),
        "actor_key_31_bytes": one_page(ev, [checkpoint(ev[2])], keys=(dict(key, public_key=actor_pk[:31]),)),
        "checkpoint_other_server": one_page(ev, [checkpoint(ev[2], other_sk, other_pk)]),
        "checkpoint_names_other_key": one_page(ev, [checkpoint(ev[2], pk=other_pk)]),
        "checkpoint_signature_bitflip": one_page(ev, [bad_sig]),
        "checkpoint_between_events": one_page(ev, [dict(checkpoint(ev[2]), seq=0)]),
        "checkpoint_beyond_end": one_page(ev, [dict(checkpoint(ev[2]), seq=4)]),
        "truncated_inside_page": valid[:len(valid) - 40],
        "truncated_inside_length": valid[:len(AUDIT_MAGIC) + 2],
        "truncated_more_follows": audit_file([audit_page(ev[:2], [], [key], more=True)]),
        "page_after_last": audit_file([audit_page(ev, [checkpoint(ev[2])], [key]), audit_page()]),
        "page_claims_too_much": AUDIT_MAGIC + b"\x04\x00\x00\x01",
        "page_claims_1_mib": AUDIT_MAGIC + b"\x00\x10\x00\x00" + b"\x0a\x00" * 8,
        "page_not_protobuf": AUDIT_MAGIC + b"\x00\x00\x00\x03\xff\xff\xff",
        "empty_page": audit_file([b""]),
        "bare_magic": AUDIT_MAGIC,
        "not_magic": b"BATONAUDIT2\n\x00\x00\x00\x00",
        "empty": b"",
    }
    return seeds


def write(corpus, seeds):
    d = os.path.join(ROOT, corpus)
    os.makedirs(d, exist_ok=True)
    for name, data in seeds.items():
        with open(os.path.join(d, name), "wb") as f:
            f.write(data)


if __name__ == "__main__":
    write("dispatch", DISPATCH)
    write("config", CONFIG)
    try:
        FRAME = frame_seeds()
    except OSError as e:
        sys.exit(f"make_corpus: the frame corpus needs libsodium (apt-get install libsodium-dev): {e}")
    write("frame", FRAME)
    AUDIT = audit_seeds()
    write("audit_verify", AUDIT)
    print(f"{len(DISPATCH)} dispatch seeds, {len(CONFIG)} config seeds, {len(FRAME)} frame seeds, "
          f"{len(AUDIT)} audit_verify seeds under {ROOT}")
