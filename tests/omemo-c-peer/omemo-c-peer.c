/*
 * A second, independent OMEMO 0.3 peer for Klatsch's tests, on libomemo-c 0.5 (Debian's
 * libomemo-c-dev, Dino's fork of libsignal-protocol-c) with libgcrypt as its crypto provider.
 * Just enough of a device to publish a bundle, build a session from someone else's bundle, and
 * encrypt or decrypt one message in the 0.3 wire format (eu.siacs.conversations.axolotl):
 * the key element's bytes (a serialized (PreKey)WhisperMessage carrying AES-128-GCM key || tag),
 * the 12-byte IV and the payload. XML is the test's business (our codecs).
 *
 * Line protocol on stdin/stdout (tests/omemo-c-peer/README.md): one command per line, tokens
 * separated by single spaces, binary values in base64; each command ends with "ok" or "error <text>".
 *
 *   init <device id> [<pre-key count>]  → identity <b64>, spk <id> <b64> <sig b64>, pk <id> <b64> …
 *   bundle                              → the same lines again
 *   session <name> <device> <ik> <spk id> <spk> <spk sig> <pk id> <pk>   (build from a bundle)
 *   encrypt <name> <device> <plaintext b64>   → key <prekey 0|1> <b64>, iv <b64>, payload <b64>
 *   decrypt <name> <device> <prekey 0|1> <key b64> <iv b64> <payload b64 or ->  → plaintext <b64> (or none)
 *   quit
 *
 * Keys are in libsignal's form: 0x05 + 32 bytes (Curve25519); signatures are XEdDSA (64 bytes).
 * Everything lives in memory. Nothing here is for production: it is a test instrument.
 */
#define _GNU_SOURCE
#include <gcrypt.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curve.h>
#include <key_helper.h>
#include <protocol.h>
#include <ratchet.h>
#include <session_builder.h>
#include <session_cipher.h>
#include <session_pre_key.h>
#include <signal_protocol.h>

/* ---- base64 ------------------------------------------------------------------------------ */

static const char B64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

static char *b64_encode(const uint8_t *data, size_t len) {
    char *out = malloc(4 * ((len + 2) / 3) + 1);
    size_t o = 0;
    for (size_t i = 0; i < len; i += 3) {
        uint32_t v = (uint32_t)data[i] << 16;
        if (i + 1 < len) v |= (uint32_t)data[i + 1] << 8;
        if (i + 2 < len) v |= data[i + 2];
        out[o++] = B64[(v >> 18) & 63];
        out[o++] = B64[(v >> 12) & 63];
        out[o++] = i + 1 < len ? B64[(v >> 6) & 63] : '=';
        out[o++] = i + 2 < len ? B64[v & 63] : '=';
    }
    out[o] = 0;
    return out;
}

static int b64_value(char c) {
    const char *p = c ? strchr(B64, c) : NULL;
    return p ? (int)(p - B64) : -1;
}

/* Strict: length a multiple of 4, padding only at the end. Returns NULL on bad input. */
static uint8_t *b64_decode(const char *text, size_t *out_len) {
    size_t n = strlen(text);
    if (n % 4 != 0) return NULL;
    uint8_t *out = malloc(n / 4 * 3 + 1);
    size_t o = 0;
    for (size_t i = 0; i < n; i += 4) {
        int a = b64_value(text[i]), b = b64_value(text[i + 1]);
        int last = i + 4 == n;
        int c = text[i + 2] == '=' && last ? -2 : b64_value(text[i + 2]);
        int d = text[i + 3] == '=' && last ? -2 : b64_value(text[i + 3]);
        if (a < 0 || b < 0 || c == -1 || d == -1 || (c == -2 && d != -2)) {
            free(out);
            return NULL;
        }
        uint32_t v = ((uint32_t)a << 18) | ((uint32_t)b << 12) | ((uint32_t)(c < 0 ? 0 : c) << 6) | (uint32_t)(d < 0 ? 0 : d);
        out[o++] = (v >> 16) & 0xff;
        if (c >= 0) out[o++] = (v >> 8) & 0xff;
        if (d >= 0) out[o++] = v & 0xff;
    }
    *out_len = o;
    return out;
}

/* ---- crypto provider (libgcrypt) ---------------------------------------------------------- */

static int cp_random(uint8_t *data, size_t len, void *u) {
    (void)u;
    gcry_randomize(data, len, GCRY_STRONG_RANDOM);
    return 0;
}

static int cp_hmac_init(void **ctx, const uint8_t *key, size_t key_len, void *u) {
    (void)u;
    gcry_mac_hd_t h;
    if (gcry_mac_open(&h, GCRY_MAC_HMAC_SHA256, 0, NULL)) return SG_ERR_UNKNOWN;
    if (gcry_mac_setkey(h, key, key_len)) {
        gcry_mac_close(h);
        return SG_ERR_UNKNOWN;
    }
    *ctx = h;
    return 0;
}

static int cp_hmac_update(void *ctx, const uint8_t *data, size_t len, void *u) {
    (void)u;
    return gcry_mac_write((gcry_mac_hd_t)ctx, data, len) ? SG_ERR_UNKNOWN : 0;
}

static int cp_hmac_final(void *ctx, signal_buffer **output, void *u) {
    (void)u;
    uint8_t mac[32];
    size_t len = sizeof mac;
    if (gcry_mac_read((gcry_mac_hd_t)ctx, mac, &len)) return SG_ERR_UNKNOWN;
    *output = signal_buffer_create(mac, len);
    return *output ? 0 : SG_ERR_NOMEM;
}

static void cp_hmac_cleanup(void *ctx, void *u) {
    (void)u;
    if (ctx) gcry_mac_close((gcry_mac_hd_t)ctx);
}

static int cp_sha512_init(void **ctx, void *u) {
    (void)u;
    gcry_md_hd_t h;
    if (gcry_md_open(&h, GCRY_MD_SHA512, 0)) return SG_ERR_UNKNOWN;
    *ctx = h;
    return 0;
}

static int cp_sha512_update(void *ctx, const uint8_t *data, size_t len, void *u) {
    (void)u;
    gcry_md_write((gcry_md_hd_t)ctx, data, len);
    return 0;
}

static int cp_sha512_final(void *ctx, signal_buffer **output, void *u) {
    (void)u;
    gcry_md_hd_t h = (gcry_md_hd_t)ctx;
    *output = signal_buffer_create(gcry_md_read(h, GCRY_MD_SHA512), 64);
    gcry_md_reset(h);
    return *output ? 0 : SG_ERR_NOMEM;
}

static void cp_sha512_cleanup(void *ctx, void *u) {
    (void)u;
    if (ctx) gcry_md_close((gcry_md_hd_t)ctx);
}

static int aes_algo(size_t key_len) {
    return key_len == 16 ? GCRY_CIPHER_AES128 : key_len == 24 ? GCRY_CIPHER_AES192 : key_len == 32 ? GCRY_CIPHER_AES256 : 0;
}

static int cp_crypt(int encrypt, signal_buffer **output, int cipher, const uint8_t *key, size_t key_len, const uint8_t *iv,
                    size_t iv_len, const uint8_t *in, size_t in_len) {
    int algo = aes_algo(key_len);
    if (!algo || iv_len != 16) return SG_ERR_UNKNOWN;
    int mode = cipher == SG_CIPHER_AES_CBC_PKCS5 ? GCRY_CIPHER_MODE_CBC : cipher == SG_CIPHER_AES_CTR_NOPADDING ? GCRY_CIPHER_MODE_CTR : 0;
    if (!mode) return SG_ERR_UNKNOWN;
    gcry_cipher_hd_t h;
    if (gcry_cipher_open(&h, algo, mode, 0)) return SG_ERR_UNKNOWN;
    int rc = SG_ERR_UNKNOWN;
    uint8_t *buf = NULL;
    size_t len = in_len;
    if (gcry_cipher_setkey(h, key, key_len)) goto done;
    if (mode == GCRY_CIPHER_MODE_CTR ? gcry_cipher_setctr(h, iv, iv_len) : gcry_cipher_setiv(h, iv, iv_len)) goto done;
    if (encrypt && mode == GCRY_CIPHER_MODE_CBC) {
        size_t pad = 16 - in_len % 16; /* PKCS#5: always 1..16 bytes */
        len = in_len + pad;
        buf = malloc(len);
        memcpy(buf, in, in_len);
        memset(buf + in_len, (int)pad, pad);
    } else {
        if (mode == GCRY_CIPHER_MODE_CBC && (in_len == 0 || in_len % 16)) goto done;
        buf = malloc(len ? len : 1);
        memcpy(buf, in, len);
    }
    if ((encrypt ? gcry_cipher_encrypt(h, buf, len, NULL, 0) : gcry_cipher_decrypt(h, buf, len, NULL, 0))) goto done;
    if (!encrypt && mode == GCRY_CIPHER_MODE_CBC) {
        size_t pad = buf[len - 1];
        if (pad < 1 || pad > 16 || pad > len) goto done;
        for (size_t i = len - pad; i < len; i++)
            if (buf[i] != pad) goto done;
        len -= pad;
    }
    *output = signal_buffer_create(buf, len);
    rc = *output ? 0 : SG_ERR_NOMEM;
done:
    free(buf);
    gcry_cipher_close(h);
    return rc;
}

static int cp_encrypt(signal_buffer **o, int c, const uint8_t *k, size_t kl, const uint8_t *iv, size_t ivl, const uint8_t *p, size_t pl,
                      void *u) {
    (void)u;
    return cp_crypt(1, o, c, k, kl, iv, ivl, p, pl);
}

static int cp_decrypt(signal_buffer **o, int c, const uint8_t *k, size_t kl, const uint8_t *iv, size_t ivl, const uint8_t *p, size_t pl,
                      void *u) {
    (void)u;
    return cp_crypt(0, o, c, k, kl, iv, ivl, p, pl);
}

/* ---- in-memory stores: one list of (key, bytes) ------------------------------------------ */

struct entry {
    char *key;
    uint8_t *data;
    size_t len;
    struct entry *next;
};
static struct entry *entries;

static struct entry *find(const char *key) {
    for (struct entry *e = entries; e; e = e->next)
        if (!strcmp(e->key, key)) return e;
    return NULL;
}

static void put(const char *key, const uint8_t *data, size_t len) {
    struct entry *e = find(key);
    if (!e) {
        e = calloc(1, sizeof *e);
        e->key = strdup(key);
        e->next = entries;
        entries = e;
    }
    free(e->data);
    e->data = malloc(len ? len : 1);
    memcpy(e->data, data, len);
    e->len = len;
}

static int del(const char *key) {
    for (struct entry **p = &entries; *p; p = &(*p)->next) {
        if (!strcmp((*p)->key, key)) {
            struct entry *e = *p;
            *p = e->next;
            free(e->key);
            free(e->data);
            free(e);
            return 1;
        }
    }
    return 0;
}

static char *addr_key(const char *kind, const signal_protocol_address *a) {
    char *k;
    if (asprintf(&k, "%s:%.*s:%d", kind, (int)a->name_len, a->name, a->device_id) < 0) abort();
    return k;
}

static char *id_key(const char *kind, uint32_t id) {
    char *k;
    if (asprintf(&k, "%s:%u", kind, id) < 0) abort();
    return k;
}

static int load_bytes(signal_buffer **out, char *key) {
    struct entry *e = find(key);
    free(key);
    if (!e) return 0;
    *out = signal_buffer_create(e->data, e->len);
    return 1;
}

static int ss_load(signal_buffer **record, signal_buffer **user_record, const signal_protocol_address *a, void *u) {
    (void)u;
    (void)user_record;
    return load_bytes(record, addr_key("s", a));
}

static int ss_sub_devices(signal_int_list **sessions, const char *name, size_t name_len, void *u) {
    (void)u;
    signal_int_list *list = signal_int_list_alloc();
    char *prefix;
    if (asprintf(&prefix, "s:%.*s:", (int)name_len, name) < 0) abort();
    int n = 0;
    for (struct entry *e = entries; e; e = e->next) {
        if (!strncmp(e->key, prefix, strlen(prefix))) {
            signal_int_list_push_back(list, atoi(e->key + strlen(prefix)));
            n++;
        }
    }
    free(prefix);
    *sessions = list;
    return n;
}

static int ss_store(const signal_protocol_address *a, uint8_t *r, size_t rl, uint8_t *ur, size_t url, void *u) {
    (void)u;
    (void)ur;
    (void)url;
    char *k = addr_key("s", a);
    put(k, r, rl);
    free(k);
    return 0;
}

static int ss_contains(const signal_protocol_address *a, void *u) {
    (void)u;
    char *k = addr_key("s", a);
    int found = find(k) != NULL;
    free(k);
    return found;
}

static int ss_delete(const signal_protocol_address *a, void *u) {
    (void)u;
    char *k = addr_key("s", a);
    int r = del(k);
    free(k);
    return r;
}

static int ss_delete_all(const char *name, size_t name_len, void *u) {
    (void)u;
    (void)name;
    (void)name_len;
    return 0;
}

static int pk_load(signal_buffer **record, uint32_t id, void *u) {
    (void)u;
    return load_bytes(record, id_key("p", id)) ? SG_SUCCESS : SG_ERR_INVALID_KEY_ID;
}

static int pk_store(uint32_t id, uint8_t *r, size_t rl, void *u) {
    (void)u;
    char *k = id_key("p", id);
    put(k, r, rl);
    free(k);
    return 0;
}

static int pk_contains(uint32_t id, void *u) {
    (void)u;
    char *k = id_key("p", id);
    int found = find(k) != NULL;
    free(k);
    return found;
}

static int pk_remove(uint32_t id, void *u) {
    (void)u;
    char *k = id_key("p", id);
    del(k);
    free(k);
    return 0;
}

static int spk_load(signal_buffer **record, uint32_t id, void *u) {
    (void)u;
    return load_bytes(record, id_key("sp", id)) ? SG_SUCCESS : SG_ERR_INVALID_KEY_ID;
}

static int spk_store(uint32_t id, uint8_t *r, size_t rl, void *u) {
    (void)u;
    char *k = id_key("sp", id);
    put(k, r, rl);
    free(k);
    return 0;
}

static int spk_contains(uint32_t id, void *u) {
    (void)u;
    char *k = id_key("sp", id);
    int found = find(k) != NULL;
    free(k);
    return found;
}

static int spk_remove(uint32_t id, void *u) {
    (void)u;
    char *k = id_key("sp", id);
    del(k);
    free(k);
    return 0;
}

static ratchet_identity_key_pair *identity;
static uint32_t registration_id;

static int ik_get_pair(signal_buffer **pub, signal_buffer **priv, void *u) {
    (void)u;
    if (!identity) return SG_ERR_UNKNOWN;
    if (ec_public_key_serialize(pub, ratchet_identity_key_pair_get_public(identity))) return SG_ERR_UNKNOWN;
    if (ec_private_key_serialize(priv, ratchet_identity_key_pair_get_private(identity))) return SG_ERR_UNKNOWN;
    return 0;
}

static int ik_get_registration(void *u, uint32_t *id) {
    (void)u;
    *id = registration_id;
    return 0;
}

static int ik_save(const signal_protocol_address *a, uint8_t *key, size_t len, void *u) {
    (void)u;
    char *k = addr_key("i", a);
    if (key) put(k, key, len);
    else del(k);
    free(k);
    return 0;
}

/* Blind trust: this peer trusts every identity (the tests check keys by comparing them). */
static int ik_trusted(const signal_protocol_address *a, uint8_t *key, size_t len, void *u) {
    (void)a;
    (void)key;
    (void)len;
    (void)u;
    return 1;
}

/* ---- the peer ----------------------------------------------------------------------------- */

static signal_context *ctx;
static signal_protocol_store_context *store;
static session_signed_pre_key *signed_pre_key;
static uint32_t own_device_id;
static uint32_t pre_key_count;

static void print_key(const char *label, const char *id, ec_public_key *key) {
    signal_buffer *buf = NULL;
    ec_public_key_serialize(&buf, key);
    char *b = b64_encode(signal_buffer_data(buf), signal_buffer_len(buf));
    if (id) printf("%s %s %s", label, id, b);
    else printf("%s %s", label, b);
    free(b);
    signal_buffer_free(buf);
}

static int print_bundle(void) {
    if (!identity) return -1;
    printf("device %u\n", own_device_id);
    print_key("identity", NULL, ratchet_identity_key_pair_get_public(identity));
    printf("\n");
    char id[16];
    snprintf(id, sizeof id, "%u", session_signed_pre_key_get_id(signed_pre_key));
    print_key("spk", id, ec_key_pair_get_public(session_signed_pre_key_get_key_pair(signed_pre_key)));
    char *sig = b64_encode(session_signed_pre_key_get_signature(signed_pre_key), session_signed_pre_key_get_signature_len(signed_pre_key));
    printf(" %s\n", sig);
    free(sig);
    for (uint32_t i = 1; i <= pre_key_count; i++) {
        signal_buffer *rec = NULL;
        if (!load_bytes(&rec, id_key("p", i))) continue; /* used up */
        session_pre_key *pk = NULL;
        if (session_pre_key_deserialize(&pk, signal_buffer_data(rec), signal_buffer_len(rec), ctx) == 0) {
            snprintf(id, sizeof id, "%u", i);
            print_key("pk", id, ec_key_pair_get_public(session_pre_key_get_key_pair(pk)));
            printf("\n");
            SIGNAL_UNREF(pk);
        }
        signal_buffer_free(rec);
    }
    return 0;
}

static const char *cmd_init(char **argv, int argc) {
    if (argc < 2) return "usage: init <device id> [<pre-key count>]";
    if (identity) return "already initialised";
    own_device_id = (uint32_t)strtoul(argv[1], NULL, 10);
    if (own_device_id < 1 || own_device_id > 0x7fffffff) return "device id out of range";
    pre_key_count = argc > 2 ? (uint32_t)strtoul(argv[2], NULL, 10) : 20;
    if (pre_key_count < 1 || pre_key_count > 1000) return "pre-key count out of range";
    if (signal_protocol_key_helper_generate_identity_key_pair(&identity, ctx)) return "identity generation failed";
    if (signal_protocol_key_helper_generate_registration_id(&registration_id, 0, ctx)) return "registration id failed";
    if (signal_protocol_key_helper_generate_signed_pre_key(&signed_pre_key, identity, 1, 0, ctx)) return "signed pre-key failed";
    signal_buffer *buf = NULL;
    session_signed_pre_key_serialize(&buf, signed_pre_key);
    spk_store(1, signal_buffer_data(buf), signal_buffer_len(buf), NULL);
    signal_buffer_free(buf);
    signal_protocol_key_helper_pre_key_list_node *head = NULL;
    if (signal_protocol_key_helper_generate_pre_keys(&head, 1, pre_key_count, ctx)) return "pre-key generation failed";
    for (signal_protocol_key_helper_pre_key_list_node *n = head; n; n = signal_protocol_key_helper_key_list_next(n)) {
        session_pre_key *pk = signal_protocol_key_helper_key_list_element(n);
        buf = NULL;
        session_pre_key_serialize(&buf, pk);
        pk_store(session_pre_key_get_id(pk), signal_buffer_data(buf), signal_buffer_len(buf), NULL);
        signal_buffer_free(buf);
    }
    signal_protocol_key_helper_key_list_free(head);
    return print_bundle() ? "no identity" : NULL;
}

static ec_public_key *decode_key(const char *text) {
    size_t len = 0;
    uint8_t *bytes = b64_decode(text, &len);
    if (!bytes) return NULL;
    ec_public_key *key = NULL;
    int rc = curve_decode_point(&key, bytes, len, ctx);
    free(bytes);
    return rc ? NULL : key;
}

static void address_of(signal_protocol_address *a, const char *name, const char *device) {
    a->name = name;
    a->name_len = strlen(name);
    a->device_id = (int32_t)strtol(device, NULL, 10);
}

static const char *cmd_session(char **argv, int argc) {
    if (argc != 9) return "usage: session <name> <device> <ik> <spk id> <spk> <spk sig> <pk id> <pk>";
    signal_protocol_address a;
    address_of(&a, argv[1], argv[2]);
    ec_public_key *ik = decode_key(argv[3]);
    ec_public_key *spk = decode_key(argv[5]);
    ec_public_key *pk = decode_key(argv[8]);
    size_t sig_len = 0;
    uint8_t *sig = b64_decode(argv[6], &sig_len);
    const char *err = NULL;
    session_pre_key_bundle *bundle = NULL;
    session_builder *builder = NULL;
    if (!ik || !spk || !pk || !sig) err = "bad key or signature";
    else if (session_pre_key_bundle_create(&bundle, 0, a.device_id, (uint32_t)strtoul(argv[7], NULL, 10), pk,
                                           (uint32_t)strtoul(argv[4], NULL, 10), spk, sig, sig_len, ik))
        err = "bundle rejected";
    else if (session_builder_create(&builder, store, &a, ctx)) err = "session builder failed";
    else {
        int rc = session_builder_process_pre_key_bundle(builder, bundle);
        if (rc == SG_ERR_INVALID_KEY) err = "the signed pre-key signature does not verify";
        else if (rc) err = "building the session failed";
    }
    if (builder) session_builder_free(builder);
    SIGNAL_UNREF(bundle);
    SIGNAL_UNREF(ik);
    SIGNAL_UNREF(spk);
    SIGNAL_UNREF(pk);
    free(sig);
    return err;
}

static const char *cmd_encrypt(char **argv, int argc) {
    if (argc != 4) return "usage: encrypt <name> <device> <plaintext b64>";
    signal_protocol_address a;
    address_of(&a, argv[1], argv[2]);
    size_t plain_len = 0;
    uint8_t *plain = b64_decode(argv[3], &plain_len);
    if (!plain) return "plaintext is not base64";
    /* OMEMO 0.3: AES-128-GCM with a fresh key and 12-byte IV; the session carries key || tag. */
    uint8_t material[32], iv[12];
    gcry_randomize(material, 16, GCRY_STRONG_RANDOM);
    gcry_randomize(iv, sizeof iv, GCRY_STRONG_RANDOM);
    uint8_t *ct = malloc(plain_len ? plain_len : 1);
    gcry_cipher_hd_t h;
    gcry_cipher_open(&h, GCRY_CIPHER_AES128, GCRY_CIPHER_MODE_GCM, 0);
    gcry_cipher_setkey(h, material, 16);
    gcry_cipher_setiv(h, iv, sizeof iv);
    gcry_cipher_encrypt(h, ct, plain_len, plain, plain_len);
    gcry_cipher_gettag(h, material + 16, 16);
    gcry_cipher_close(h);
    free(plain);

    session_cipher *cipher = NULL;
    ciphertext_message *msg = NULL;
    const char *err = NULL;
    if (!ss_contains(&a, NULL)) err = "no session with that device";
    else if (session_cipher_create(&cipher, store, &a, ctx)) err = "session cipher failed";
    else if (session_cipher_encrypt(cipher, material, sizeof material, &msg)) err = "encryption failed";
    else {
        signal_buffer *ser = ciphertext_message_get_serialized(msg);
        char *k = b64_encode(signal_buffer_data(ser), signal_buffer_len(ser));
        char *i = b64_encode(iv, sizeof iv);
        char *p = b64_encode(ct, plain_len);
        printf("key %d %s\niv %s\npayload %s\n", ciphertext_message_get_type(msg) == CIPHERTEXT_PREKEY_TYPE, k, i, p);
        free(k);
        free(i);
        free(p);
    }
    SIGNAL_UNREF(msg);
    if (cipher) session_cipher_free(cipher);
    free(ct);
    return err;
}

static const char *cmd_decrypt(char **argv, int argc) {
    if (argc != 7) return "usage: decrypt <name> <device> <prekey 0|1> <key b64> <iv b64> <payload b64|->";
    signal_protocol_address a;
    address_of(&a, argv[1], argv[2]);
    size_t key_len = 0, iv_len = 0, payload_len = 0;
    uint8_t *key = b64_decode(argv[4], &key_len);
    uint8_t *iv = b64_decode(argv[5], &iv_len);
    uint8_t *payload = strcmp(argv[6], "-") ? b64_decode(argv[6], &payload_len) : NULL;
    const char *err = NULL;
    session_cipher *cipher = NULL;
    signal_buffer *material = NULL;
    if (!key || !iv || (strcmp(argv[6], "-") && !payload)) err = "not base64";
    else if (session_cipher_create(&cipher, store, &a, ctx)) err = "session cipher failed";
    else if (!strcmp(argv[3], "1")) {
        pre_key_signal_message *m = NULL;
        if (pre_key_signal_message_deserialize(&m, key, key_len, ctx)) err = "not a pre-key message";
        else if (session_cipher_decrypt_pre_key_signal_message(cipher, m, NULL, &material)) err = "decrypting the key failed";
        SIGNAL_UNREF(m);
    } else {
        signal_message *m = NULL;
        if (signal_message_deserialize(&m, key, key_len, ctx)) err = "not a message";
        else if (session_cipher_decrypt_signal_message(cipher, m, NULL, &material)) err = "decrypting the key failed";
        SIGNAL_UNREF(m);
    }
    if (!err && payload) {
        if (signal_buffer_len(material) < 32) err = "key material shorter than key and tag";
        else {
            uint8_t *plain = malloc(payload_len ? payload_len : 1);
            gcry_cipher_hd_t h;
            gcry_cipher_open(&h, GCRY_CIPHER_AES128, GCRY_CIPHER_MODE_GCM, 0);
            gcry_cipher_setkey(h, signal_buffer_data(material), 16);
            gcry_cipher_setiv(h, iv, iv_len);
            gcry_cipher_decrypt(h, plain, payload_len, payload, payload_len);
            if (gcry_cipher_checktag(h, signal_buffer_data(material) + 16, 16)) err = "payload authentication failed";
            else {
                char *p = b64_encode(plain, payload_len);
                printf("plaintext %s\n", p);
                free(p);
            }
            gcry_cipher_close(h);
            free(plain);
        }
    }
    signal_buffer_free(material);
    if (cipher) session_cipher_free(cipher);
    free(key);
    free(iv);
    free(payload);
    return err;
}

int main(void) {
    setvbuf(stdout, NULL, _IOLBF, 0);
    if (!gcry_check_version(GCRYPT_VERSION)) return 1;
    gcry_control(GCRYCTL_INITIALIZATION_FINISHED, 0);

    signal_crypto_provider provider = {
        .random_func = cp_random,
        .hmac_sha256_init_func = cp_hmac_init,
        .hmac_sha256_update_func = cp_hmac_update,
        .hmac_sha256_final_func = cp_hmac_final,
        .hmac_sha256_cleanup_func = cp_hmac_cleanup,
        .sha512_digest_init_func = cp_sha512_init,
        .sha512_digest_update_func = cp_sha512_update,
        .sha512_digest_final_func = cp_sha512_final,
        .sha512_digest_cleanup_func = cp_sha512_cleanup,
        .encrypt_func = cp_encrypt,
        .decrypt_func = cp_decrypt,
    };
    if (signal_context_create(&ctx, NULL) || signal_context_set_crypto_provider(ctx, &provider)) return 1;
    if (signal_protocol_store_context_create(&store, ctx)) return 1;
    signal_protocol_session_store ss = {
        .load_session_func = ss_load,
        .get_sub_device_sessions_func = ss_sub_devices,
        .store_session_func = ss_store,
        .contains_session_func = ss_contains,
        .delete_session_func = ss_delete,
        .delete_all_sessions_func = ss_delete_all,
    };
    signal_protocol_pre_key_store pks = {
        .load_pre_key = pk_load, .store_pre_key = pk_store, .contains_pre_key = pk_contains, .remove_pre_key = pk_remove};
    signal_protocol_signed_pre_key_store spks = {.load_signed_pre_key = spk_load,
                                                 .store_signed_pre_key = spk_store,
                                                 .contains_signed_pre_key = spk_contains,
                                                 .remove_signed_pre_key = spk_remove};
    signal_protocol_identity_key_store iks = {.get_identity_key_pair = ik_get_pair,
                                              .get_local_registration_id = ik_get_registration,
                                              .save_identity = ik_save,
                                              .is_trusted_identity = ik_trusted};
    signal_protocol_store_context_set_session_store(store, &ss);
    signal_protocol_store_context_set_pre_key_store(store, &pks);
    signal_protocol_store_context_set_signed_pre_key_store(store, &spks);
    signal_protocol_store_context_set_identity_key_store(store, &iks);

    char *line = NULL;
    size_t cap = 0;
    ssize_t n;
    while ((n = getline(&line, &cap, stdin)) > 0) {
        while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r')) line[--n] = 0;
        char *argv[16];
        int argc = 0;
        for (char *tok = strtok(line, " "); tok && argc < 16; tok = strtok(NULL, " ")) argv[argc++] = tok;
        if (argc == 0) continue;
        const char *err = NULL;
        if (!strcmp(argv[0], "quit")) {
            printf("ok\n");
            break;
        } else if (!strcmp(argv[0], "init")) err = cmd_init(argv, argc);
        else if (!strcmp(argv[0], "bundle")) err = print_bundle() ? "not initialised" : NULL;
        else if (!identity) err = "not initialised (init first)";
        else if (!strcmp(argv[0], "session")) err = cmd_session(argv, argc);
        else if (!strcmp(argv[0], "encrypt")) err = cmd_encrypt(argv, argc);
        else if (!strcmp(argv[0], "decrypt")) err = cmd_decrypt(argv, argc);
        else err = "unknown command";
        if (err) printf("error %s\n", err);
        printf("ok\n");
    }
    free(line);
    return 0;
}
