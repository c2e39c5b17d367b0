/*
 * otr-peer: a libotr 4.x peer driven by a line protocol on stdin/stdout, for
 * interoperability tests of Klatsch's own OTR engine (see README.md beside
 * this file for the protocol). One command per input line; every command ends
 * with a line "ok" (preceded by "error <text>" when it failed). Binary data
 * travels as base64 (messages) or hex (keys, signatures). Diagnostics go to
 * stderr only.
 *
 * Build: tests/otr-peer/build.sh
 */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <gcrypt.h>

#include <libotr/proto.h>
#include <libotr/context.h>
#include <libotr/instag.h>
#include <libotr/message.h>
#include <libotr/privkey.h>
#include <libotr/tlv.h>
#include <libotr/userstate.h>

#define MAX_LINE (4u * 1024u * 1024u) /* longest accepted input line, bytes */
#define MAX_ARGS 8
#define MIN_MAXFRAG 64 /* libotr divides by (mms - header length); keep it sane */

/* ---- state ---------------------------------------------------------------- */

static OtrlUserState us;
static char *account;   /* NULL until "init" */
static char *protocol;
static char *keyfile;
static char *instagfile;
static char *fpfile;
static OtrlPolicy policy = OTRL_POLICY_OPPORTUNISTIC;
static int maxfrag = 0;
static unsigned int timer_interval = 0; /* seconds, 0 = off (libotr's timer_control) */
static time_t timer_next = 0;
static int command_failed = 0;

/* ---- output --------------------------------------------------------------- */

static void out_line(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void out_line(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vfprintf(stdout, fmt, ap);
    va_end(ap);
    fputc('\n', stdout);
    if (fflush(stdout) != 0 || ferror(stdout)) {
        /* Our reader is gone: nothing left to do. */
        _exit(0);
    }
}

static void fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void fail(const char *fmt, ...)
{
    char buf[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    /* Keep the error on one line. */
    for (char *p = buf; *p; p++) {
        if (*p == '\n' || *p == '\r') *p = ' ';
    }
    out_line("error %s", buf);
    command_failed = 1;
}

static const char B64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/* Returns a malloc'd NUL-terminated base64 string (standard alphabet, padded). */
static char *b64_encode(const unsigned char *data, size_t len)
{
    size_t outlen = 4 * ((len + 2) / 3);
    char *out = malloc(outlen + 1);
    size_t i, o = 0;
    if (!out) return NULL;
    for (i = 0; i + 2 < len; i += 3) {
        unsigned v = (unsigned)data[i] << 16 | (unsigned)data[i + 1] << 8 | data[i + 2];
        out[o++] = B64[v >> 18 & 63];
        out[o++] = B64[v >> 12 & 63];
        out[o++] = B64[v >> 6 & 63];
        out[o++] = B64[v & 63];
    }
    if (i < len) {
        unsigned v = (unsigned)data[i] << 16;
        if (i + 1 < len) v |= (unsigned)data[i + 1] << 8;
        out[o++] = B64[v >> 18 & 63];
        out[o++] = B64[v >> 12 & 63];
        out[o++] = (i + 1 < len) ? B64[v >> 6 & 63] : '=';
        out[o++] = '=';
    }
    out[o] = '\0';
    return out;
}

static int b64_value(char c)
{
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '+' || c == '-') return 62;
    if (c == '/' || c == '_') return 63;
    return -1;
}

/* Strict-ish decoder (standard or URL alphabet, padding optional). Returns a
 * malloc'd buffer with a NUL appended (not counted in *lenp), or NULL. */
static unsigned char *b64_decode(const char *in, size_t *lenp)
{
    size_t inlen = strlen(in);
    unsigned char *out;
    size_t o = 0, i;
    unsigned acc = 0;
    int bits = 0;
    while (inlen > 0 && in[inlen - 1] == '=') inlen--;
    if (inlen % 4 == 1) return NULL;
    out = malloc(inlen / 4 * 3 + 3 + 1);
    if (!out) return NULL;
    for (i = 0; i < inlen; i++) {
        int v = b64_value(in[i]);
        if (v < 0) {
            free(out);
            return NULL;
        }
        acc = (acc << 6 | (unsigned)v) & 0xffffff;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out[o++] = (unsigned char)(acc >> bits & 0xff);
        }
    }
    out[o] = '\0';
    *lenp = o;
    return out;
}

static char *hex_encode(const unsigned char *data, size_t len)
{
    static const char H[] = "0123456789abcdef";
    char *out = malloc(2 * len + 1);
    if (!out) return NULL;
    for (size_t i = 0; i < len; i++) {
        out[2 * i] = H[data[i] >> 4];
        out[2 * i + 1] = H[data[i] & 15];
    }
    out[2 * len] = '\0';
    return out;
}

static int hex_nibble(char c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

static unsigned char *hex_decode(const char *in, size_t *lenp)
{
    size_t inlen = strlen(in);
    unsigned char *out;
    if (inlen % 2) return NULL;
    out = malloc(inlen / 2 + 1);
    if (!out) return NULL;
    for (size_t i = 0; i < inlen / 2; i++) {
        int hi = hex_nibble(in[2 * i]), lo = hex_nibble(in[2 * i + 1]);
        if (hi < 0 || lo < 0) {
            free(out);
            return NULL;
        }
        out[i] = (unsigned char)(hi << 4 | lo);
    }
    *lenp = inlen / 2;
    return out;
}

/* Print "<prefix> <base64 of text>" with the text treated as bytes. */
static void out_b64(const char *prefix, const char *peer, const char *text)
{
    char *b = b64_encode((const unsigned char *)text, strlen(text));
    if (!b) {
        fail("out of memory");
        return;
    }
    out_line("%s %s %s", prefix, peer, b);
    free(b);
}

static void out_event(const char *name, const char *peer, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void out_event(const char *name, const char *peer, const char *fmt, ...)
{
    char *details = NULL;
    if (fmt) {
        va_list ap;
        va_start(ap, fmt);
        if (vasprintf(&details, fmt, ap) < 0) details = NULL;
        va_end(ap);
    }
    out_line("event %s %s%s%s", name, peer && *peer ? peer : "-", details && *details ? " " : "",
             details ? details : "");
    free(details);
}

static const char *msgstate_name(OtrlMessageState s)
{
    switch (s) {
    case OTRL_MSGSTATE_PLAINTEXT: return "plaintext";
    case OTRL_MSGSTATE_ENCRYPTED: return "encrypted";
    case OTRL_MSGSTATE_FINISHED: return "finished";
    }
    return "unknown";
}

static const char *msgevent_name(OtrlMessageEvent e)
{
    switch (e) {
    case OTRL_MSGEVENT_NONE: return "OTRL_MSGEVENT_NONE";
    case OTRL_MSGEVENT_ENCRYPTION_REQUIRED: return "OTRL_MSGEVENT_ENCRYPTION_REQUIRED";
    case OTRL_MSGEVENT_ENCRYPTION_ERROR: return "OTRL_MSGEVENT_ENCRYPTION_ERROR";
    case OTRL_MSGEVENT_CONNECTION_ENDED: return "OTRL_MSGEVENT_CONNECTION_ENDED";
    case OTRL_MSGEVENT_SETUP_ERROR: return "OTRL_MSGEVENT_SETUP_ERROR";
    case OTRL_MSGEVENT_MSG_REFLECTED: return "OTRL_MSGEVENT_MSG_REFLECTED";
    case OTRL_MSGEVENT_MSG_RESENT: return "OTRL_MSGEVENT_MSG_RESENT";
    case OTRL_MSGEVENT_RCVDMSG_NOT_IN_PRIVATE: return "OTRL_MSGEVENT_RCVDMSG_NOT_IN_PRIVATE";
    case OTRL_MSGEVENT_RCVDMSG_UNREADABLE: return "OTRL_MSGEVENT_RCVDMSG_UNREADABLE";
    case OTRL_MSGEVENT_RCVDMSG_MALFORMED: return "OTRL_MSGEVENT_RCVDMSG_MALFORMED";
    case OTRL_MSGEVENT_LOG_HEARTBEAT_RCVD: return "OTRL_MSGEVENT_LOG_HEARTBEAT_RCVD";
    case OTRL_MSGEVENT_LOG_HEARTBEAT_SENT: return "OTRL_MSGEVENT_LOG_HEARTBEAT_SENT";
    case OTRL_MSGEVENT_RCVDMSG_GENERAL_ERR: return "OTRL_MSGEVENT_RCVDMSG_GENERAL_ERR";
    case OTRL_MSGEVENT_RCVDMSG_UNENCRYPTED: return "OTRL_MSGEVENT_RCVDMSG_UNENCRYPTED";
    case OTRL_MSGEVENT_RCVDMSG_UNRECOGNIZED: return "OTRL_MSGEVENT_RCVDMSG_UNRECOGNIZED";
    case OTRL_MSGEVENT_RCVDMSG_FOR_OTHER_INSTANCE: return "OTRL_MSGEVENT_RCVDMSG_FOR_OTHER_INSTANCE";
    }
    return "OTRL_MSGEVENT_UNKNOWN";
}

static const char *smpevent_name(OtrlSMPEvent e)
{
    switch (e) {
    case OTRL_SMPEVENT_NONE: return "OTRL_SMPEVENT_NONE";
    case OTRL_SMPEVENT_ERROR: return "OTRL_SMPEVENT_ERROR";
    case OTRL_SMPEVENT_ABORT: return "OTRL_SMPEVENT_ABORT";
    case OTRL_SMPEVENT_CHEATED: return "OTRL_SMPEVENT_CHEATED";
    case OTRL_SMPEVENT_ASK_FOR_ANSWER: return "OTRL_SMPEVENT_ASK_FOR_ANSWER";
    case OTRL_SMPEVENT_ASK_FOR_SECRET: return "OTRL_SMPEVENT_ASK_FOR_SECRET";
    case OTRL_SMPEVENT_IN_PROGRESS: return "OTRL_SMPEVENT_IN_PROGRESS";
    case OTRL_SMPEVENT_SUCCESS: return "OTRL_SMPEVENT_SUCCESS";
    case OTRL_SMPEVENT_FAILURE: return "OTRL_SMPEVENT_FAILURE";
    }
    return "OTRL_SMPEVENT_UNKNOWN";
}

/* gcry_strerror text with spaces replaced, to keep key=value details parseable. */
static const char *err_token(gcry_error_t err, char *buf, size_t buflen)
{
    snprintf(buf, buflen, "%s", gcry_strerror(err));
    for (char *p = buf; *p; p++) {
        if (*p == ' ' || *p == '\t' || *p == '\n' || *p == '=') *p = '_';
    }
    return buf;
}

/* ---- libotr callbacks ------------------------------------------------------ */

static OtrlPolicy cb_policy(void *opdata, ConnContext *context)
{
    (void)opdata;
    (void)context;
    return policy;
}

static gcry_error_t generate_key(void)
{
    gcry_error_t err = otrl_privkey_generate(us, keyfile, account, protocol);
    if (!err) out_event("privkey_generated", "-", "account=%s", account);
    return err;
}

static void cb_create_privkey(void *opdata, const char *accountname, const char *proto)
{
    (void)opdata;
    if (!account || strcmp(accountname, account) || strcmp(proto, protocol)) {
        fprintf(stderr, "otr-peer: libotr asked for a key for unknown account %s/%s\n", accountname, proto);
        return;
    }
    gcry_error_t err = generate_key();
    if (err) fprintf(stderr, "otr-peer: key generation failed: %s\n", gcry_strerror(err));
}

static int cb_is_logged_in(void *opdata, const char *accountname, const char *proto, const char *recipient)
{
    (void)opdata;
    (void)accountname;
    (void)proto;
    (void)recipient;
    return 1; /* so that libotr sends disconnect TLVs and heartbeats */
}

static void cb_inject_message(void *opdata, const char *accountname, const char *proto, const char *recipient,
                              const char *message)
{
    (void)opdata;
    (void)accountname;
    (void)proto;
    if (!message || !*message) {
        /* libotr "sends" "" when a message must not go out (msgstate FINISHED). */
        out_event("inject_empty", recipient, NULL);
        return;
    }
    out_b64("net", recipient, message);
}

static void cb_update_context_list(void *opdata)
{
    (void)opdata;
}

static void cb_new_fingerprint(void *opdata, OtrlUserState ustate, const char *accountname, const char *proto,
                               const char *username, unsigned char fingerprint[20])
{
    char *hex = hex_encode(fingerprint, 20);
    (void)opdata;
    (void)ustate;
    (void)accountname;
    (void)proto;
    out_event("new_fingerprint", username, "fp=%s", hex ? hex : "?");
    free(hex);
}

static void cb_write_fingerprints(void *opdata)
{
    (void)opdata;
    if (!fpfile) return;
    gcry_error_t err = otrl_privkey_write_fingerprints(us, fpfile);
    if (err) fprintf(stderr, "otr-peer: writing %s failed: %s\n", fpfile, gcry_strerror(err));
}

static void context_details(ConnContext *context, char *buf, size_t buflen)
{
    snprintf(buf, buflen, "version=%u their_instag=%08x our_instag=%08x", context->protocol_version,
             context->their_instance, context->our_instance);
}

static void cb_gone_secure(void *opdata, ConnContext *context)
{
    char d[128];
    (void)opdata;
    context_details(context, d, sizeof d);
    out_event("gone_secure", context->username, "%s", d);
}

static void cb_gone_insecure(void *opdata, ConnContext *context)
{
    char d[128];
    (void)opdata;
    context_details(context, d, sizeof d);
    out_event("gone_insecure", context->username, "%s", d);
}

static void cb_still_secure(void *opdata, ConnContext *context, int is_reply)
{
    char d[128];
    (void)opdata;
    context_details(context, d, sizeof d);
    out_event("still_secure", context->username, "is_reply=%d %s", is_reply, d);
}

static int cb_max_message_size(void *opdata, ConnContext *context)
{
    (void)opdata;
    (void)context;
    return maxfrag;
}

static const char *cb_account_name(void *opdata, const char *acc, const char *proto)
{
    (void)opdata;
    (void)proto;
    return strdup(acc);
}

static void cb_account_name_free(void *opdata, const char *name)
{
    (void)opdata;
    free((char *)name);
}

static void cb_received_symkey(void *opdata, ConnContext *context, unsigned int use, const unsigned char *usedata,
                               size_t usedatalen, const unsigned char *symkey)
{
    char *ud = hex_encode(usedata, usedatalen);
    char *key = hex_encode(symkey, OTRL_EXTRAKEY_BYTES);
    (void)opdata;
    out_event("received_symkey", context->username, "use=%u usedata=%s key=%s", use, ud ? ud : "",
              key ? key : "");
    free(ud);
    free(key);
}

/* The texts Pidgin's OTR plugin uses; libotr sends "?OTR Error: <text>". */
static const char *cb_otr_error_message(void *opdata, ConnContext *context, OtrlErrorCode err_code)
{
    char *msg = NULL;
    (void)opdata;
    switch (err_code) {
    case OTRL_ERRCODE_ENCRYPTION_ERROR:
        msg = strdup("Error occurred encrypting message.");
        break;
    case OTRL_ERRCODE_MSG_NOT_IN_PRIVATE:
        if (asprintf(&msg, "You sent encrypted data to %s, who wasn't expecting it.",
                     context && context->accountname ? context->accountname : "me") < 0)
            msg = NULL;
        break;
    case OTRL_ERRCODE_MSG_UNREADABLE:
        msg = strdup("You transmitted an unreadable encrypted message.");
        break;
    case OTRL_ERRCODE_MSG_MALFORMED:
        msg = strdup("You transmitted a malformed data message.");
        break;
    case OTRL_ERRCODE_NONE:
        break;
    }
    out_event("otr_error_message", context ? context->username : "-", "code=%d", (int)err_code);
    return msg ? msg : strdup("");
}

static void cb_otr_error_message_free(void *opdata, const char *err_msg)
{
    (void)opdata;
    free((char *)err_msg);
}

static OtrlMessageAppOps ops; /* filled in main(); referenced by SMP abort below */

static void cb_handle_smp_event(void *opdata, OtrlSMPEvent smp_event, ConnContext *context,
                                unsigned short progress_percent, char *question)
{
    (void)opdata;
    if (question) {
        char *q = b64_encode((const unsigned char *)question, strlen(question));
        out_event("smp", context->username, "%s progress=%u question=%s", smpevent_name(smp_event),
                  progress_percent, q ? q : "");
        free(q);
    } else {
        out_event("smp", context->username, "%s progress=%u", smpevent_name(smp_event), progress_percent);
    }
    if (smp_event == OTRL_SMPEVENT_CHEATED || smp_event == OTRL_SMPEVENT_ERROR) {
        otrl_message_abort_smp(us, &ops, NULL, context);
    }
}

static void cb_handle_msg_event(void *opdata, OtrlMessageEvent msg_event, ConnContext *context,
                                const char *message, gcry_error_t err)
{
    char errbuf[160] = "";
    char *m = NULL;
    (void)opdata;
    if (message) m = b64_encode((const unsigned char *)message, strlen(message));
    if (err) {
        char tok[128];
        snprintf(errbuf, sizeof errbuf, " err=%s", err_token(err, tok, sizeof tok));
    }
    out_event("msg_event", context ? context->username : "-", "%s%s%s%s", msgevent_name(msg_event),
              m ? " message=" : "", m ? m : "", errbuf);
    free(m);
}

static void cb_create_instag(void *opdata, const char *accountname, const char *proto)
{
    (void)opdata;
    if (!instagfile) return;
    gcry_error_t err = otrl_instag_generate(us, instagfile, accountname, proto);
    if (err) fprintf(stderr, "otr-peer: instag generation failed: %s\n", gcry_strerror(err));
    else out_event("instag_generated", "-", "account=%s", accountname);
}

static void cb_timer_control(void *opdata, unsigned int interval)
{
    (void)opdata;
    timer_interval = interval;
    timer_next = interval ? time(NULL) + (time_t)interval : 0;
    out_event("timer_control", "-", "interval=%u", interval);
}

/* Called between commands: run libotr's periodic work when its timer is due. */
static void maybe_poll(void)
{
    if (us && timer_interval && time(NULL) >= timer_next) {
        timer_next = time(NULL) + (time_t)timer_interval;
        otrl_message_poll(us, &ops, NULL);
    }
}

/* ---- commands --------------------------------------------------------------- */

static int need_init(void)
{
    if (!account) {
        fail("not initialised: send 'init <account> <protocol> <keyfile> <instagfile> <fingerprintsfile>' first");
        return 0;
    }
    return 1;
}

static int set_policy(const char *name)
{
    if (!strcmp(name, "never")) policy = OTRL_POLICY_NEVER;
    else if (!strcmp(name, "manual")) policy = OTRL_POLICY_MANUAL;
    else if (!strcmp(name, "opportunistic")) policy = OTRL_POLICY_OPPORTUNISTIC;
    else if (!strcmp(name, "always")) policy = OTRL_POLICY_ALWAYS;
    else if (!strcmp(name, "v2only"))
        /* Opportunistic, but speaking only version 2. */
        policy = OTRL_POLICY_ALLOW_V2 | OTRL_POLICY_SEND_WHITESPACE_TAG | OTRL_POLICY_WHITESPACE_START_AKE |
                 OTRL_POLICY_ERROR_START_AKE;
    else if (!strcmp(name, "v3only"))
        policy = OTRL_POLICY_ALLOW_V3 | OTRL_POLICY_SEND_WHITESPACE_TAG | OTRL_POLICY_WHITESPACE_START_AKE |
                 OTRL_POLICY_ERROR_START_AKE;
    else return 0;
    return 1;
}

static int file_exists(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0;
}

static void cmd_init(char **argv, int argc)
{
    gcry_error_t err;
    if (argc != 6) {
        fail("usage: init <account> <protocol> <keyfile> <instagfile> <fingerprintsfile>");
        return;
    }
    if (account) {
        fail("already initialised");
        return;
    }
    account = strdup(argv[1]);
    protocol = strdup(argv[2]);
    keyfile = strdup(argv[3]);
    instagfile = strdup(argv[4]);
    fpfile = strdup(argv[5]);

    if (file_exists(keyfile)) {
        err = otrl_privkey_read(us, keyfile);
        if (err) {
            fail("reading key file %s: %s", keyfile, gcry_strerror(err));
            goto undo;
        }
    }
    if (!otrl_privkey_find(us, account, protocol)) {
        err = generate_key();
        if (err) {
            fail("generating key into %s: %s", keyfile, gcry_strerror(err));
            goto undo;
        }
    }
    if (file_exists(instagfile)) {
        err = otrl_instag_read(us, instagfile);
        if (err) {
            fail("reading instance tags %s: %s", instagfile, gcry_strerror(err));
            goto undo;
        }
    }
    if (!otrl_instag_find(us, account, protocol)) {
        err = otrl_instag_generate(us, instagfile, account, protocol);
        if (err) {
            fail("generating instance tag into %s: %s", instagfile, gcry_strerror(err));
            goto undo;
        }
        out_event("instag_generated", "-", "account=%s", account);
    }
    if (file_exists(fpfile)) {
        err = otrl_privkey_read_fingerprints(us, fpfile, NULL, NULL);
        if (err) {
            fail("reading fingerprints %s: %s", fpfile, gcry_strerror(err));
            goto undo;
        }
    }
    {
        char human[OTRL_PRIVKEY_FPRINT_HUMAN_LEN];
        OtrlInsTag *tag = otrl_instag_find(us, account, protocol);
        otrl_privkey_fingerprint(us, human, account, protocol);
        out_line("fingerprint %s", human);
        out_line("instag %08x", tag ? tag->instag : 0);
    }
    return;
undo:
    /* Leave no half-initialised state behind: a later "init" may try again. */
    otrl_privkey_forget_all(us);
    otrl_instag_forget_all(us);
    otrl_context_forget_all(us);
    free(account);
    free(protocol);
    free(keyfile);
    free(instagfile);
    free(fpfile);
    account = protocol = keyfile = instagfile = fpfile = NULL;
}

static void cmd_send(char **argv, int argc)
{
    size_t len;
    unsigned char *plain;
    char *newmsg = NULL;
    ConnContext *ctx = NULL;
    gcry_error_t err;
    if (argc < 2 || argc > 3) {
        fail("usage: send <peer> <base64 plaintext>");
        return;
    }
    if (!need_init()) return;
    plain = b64_decode(argc == 3 ? argv[2] : "", &len);
    if (!plain) {
        fail("send: invalid base64");
        return;
    }
    if (strlen((char *)plain) != len) {
        fail("send: plaintext contains a NUL byte (libotr takes C strings)");
        free(plain);
        return;
    }
    /* SEND_ALL: libotr fragments (max_message_size) and injects every piece itself. */
    err = otrl_message_sending(us, &ops, NULL, account, protocol, argv[1], OTRL_INSTAG_BEST, (char *)plain, NULL,
                               &newmsg, OTRL_FRAGMENT_SEND_ALL, &ctx, NULL, NULL);
    if (err) {
        /* Never send the plaintext in this case. */
        fail("otrl_message_sending: %s", gcry_strerror(err));
    } else if (!newmsg) {
        /* libotr left the message alone (no OTR, no whitespace tag): the app sends it as is. */
        out_b64("net", argv[1], (char *)plain);
    }
    /* else: already injected (possibly fragmented) through inject_message */
    if (newmsg) otrl_message_free(newmsg);
    free(plain);
}

static void cmd_recv(char **argv, int argc)
{
    size_t len;
    unsigned char *msg;
    char *newmsg = NULL;
    OtrlTLV *tlvs = NULL, *t;
    ConnContext *ctx = NULL;
    int ignore;
    if (argc < 2 || argc > 3) {
        fail("usage: recv <peer> <base64 network message>");
        return;
    }
    if (!need_init()) return;
    msg = b64_decode(argc == 3 ? argv[2] : "", &len);
    if (!msg) {
        fail("recv: invalid base64");
        return;
    }
    if (strlen((char *)msg) != len) {
        fail("recv: message contains a NUL byte");
        free(msg);
        return;
    }
    ignore = otrl_message_receiving(us, &ops, NULL, account, protocol, argv[1], (char *)msg, &newmsg, &tlvs, &ctx,
                                    NULL, NULL);
    for (t = tlvs; t; t = t->next) {
        char *hex = hex_encode(t->data ? t->data : (const unsigned char *)"", t->len);
        out_event("tlv", argv[1], "type=%u len=%u data=%s", t->type, t->len, hex ? hex : "");
        free(hex);
    }
    if (!ignore) out_b64("display", argv[1], newmsg ? newmsg : (char *)msg);
    if (newmsg) otrl_message_free(newmsg);
    if (tlvs) otrl_tlv_free(tlvs);
    free(msg);
}

static void cmd_query(char **argv, int argc)
{
    char *q;
    if (argc != 2) {
        fail("usage: query <peer>");
        return;
    }
    if (!need_init()) return;
    if (!(policy & OTRL_POLICY_VERSION_MASK)) {
        /* libotr would produce a broken "?OTR\n..." here. */
        fail("query: the policy allows no OTR version");
        return;
    }
    q = otrl_proto_default_query_msg(account, policy);
    if (!q) {
        fail("otrl_proto_default_query_msg failed");
        return;
    }
    /* Like Pidgin's plugin: the query goes out as is (it is never fragmented). */
    out_b64("net", argv[1], q);
    free(q);
}

static void cmd_end(char **argv, int argc)
{
    if (argc != 2) {
        fail("usage: end <peer>");
        return;
    }
    if (!need_init()) return;
    otrl_message_disconnect_all_instances(us, &ops, NULL, account, protocol, argv[1]);
}

static void cmd_fingerprint(int argc)
{
    char human[OTRL_PRIVKEY_FPRINT_HUMAN_LEN];
    if (argc != 1) {
        fail("usage: fingerprint");
        return;
    }
    if (!need_init()) return;
    if (!otrl_privkey_fingerprint(us, human, account, protocol)) {
        fail("no private key");
        return;
    }
    out_line("fingerprint %s", human);
}

static ConnContext *best_context(const char *peer)
{
    return otrl_context_find(us, peer, account, protocol, OTRL_INSTAG_BEST, 0, NULL, NULL, NULL);
}

static void cmd_state(char **argv, int argc)
{
    ConnContext *ctx;
    char *fp = NULL, *ssid = NULL;
    if (argc != 2) {
        fail("usage: state <peer>");
        return;
    }
    if (!need_init()) return;
    ctx = best_context(argv[1]);
    if (!ctx) {
        out_line("state plaintext - - 0 00000000 00000000 -");
        return;
    }
    if (ctx->active_fingerprint && ctx->active_fingerprint->fingerprint)
        fp = hex_encode(ctx->active_fingerprint->fingerprint, 20);
    if (ctx->sessionid_len > 0 && ctx->sessionid_len <= sizeof ctx->sessionid)
        ssid = hex_encode(ctx->sessionid, ctx->sessionid_len);
    out_line("state %s %s %s %u %08x %08x %s", msgstate_name(ctx->msgstate), fp ? fp : "-", ssid ? ssid : "-",
             ctx->protocol_version, ctx->their_instance, ctx->our_instance,
             ctx->sessionid_len ? (ctx->sessionid_half == OTRL_SESSIONID_FIRST_HALF_BOLD ? "first" : "second")
                                : "-");
    free(fp);
    free(ssid);
}

static OtrlPrivKey *our_key(void)
{
    OtrlPrivKey *k = otrl_privkey_find(us, account, protocol);
    if (!k) fail("no private key");
    return k;
}

static void cmd_sign(char **argv, int argc)
{
    size_t len, siglen = 0;
    unsigned char *value, *sig = NULL;
    OtrlPrivKey *k;
    gcry_error_t err;
    char *hex;
    if (argc != 2) {
        fail("usage: sign <hex value>");
        return;
    }
    if (!need_init() || !(k = our_key())) return;
    value = hex_decode(argv[1], &len);
    if (!value || len == 0 || len > 64) {
        fail("sign: expected 1..64 bytes of hex");
        free(value);
        return;
    }
    err = otrl_privkey_sign(&sig, &siglen, k, value, len);
    free(value);
    if (err) {
        free(sig);
        fail("otrl_privkey_sign: %s", gcry_strerror(err));
        return;
    }
    hex = hex_encode(sig, siglen);
    out_line("signature %s", hex ? hex : "");
    free(hex);
    free(sig);
}

static void cmd_pubkey(int argc)
{
    OtrlPrivKey *k;
    unsigned char *buf;
    char *hex;
    if (argc != 1) {
        fail("usage: pubkey");
        return;
    }
    if (!need_init() || !(k = our_key())) return;
    /* pubkey_data is the MPIs p q g y (what the fingerprint hashes); OTR
     * messages put the 2-byte key type in front. */
    buf = malloc(k->pubkey_datalen + 2);
    if (!buf) {
        fail("out of memory");
        return;
    }
    buf[0] = (unsigned char)(k->pubkey_type >> 8);
    buf[1] = (unsigned char)(k->pubkey_type & 0xff);
    memcpy(buf + 2, k->pubkey_data, k->pubkey_datalen);
    hex = hex_encode(buf, k->pubkey_datalen + 2);
    out_line("pubkey %s", hex ? hex : "");
    free(hex);
    free(buf);
}

/* Reads a 4-byte big-endian length and that many bytes as an unsigned MPI. */
static int read_mpi(const unsigned char **p, size_t *left, gcry_mpi_t *out)
{
    size_t n;
    if (*left < 4) return 0;
    n = (size_t)(*p)[0] << 24 | (size_t)(*p)[1] << 16 | (size_t)(*p)[2] << 8 | (*p)[3];
    *p += 4;
    *left -= 4;
    if (n > *left) return 0;
    if (gcry_mpi_scan(out, GCRYMPI_FMT_USG, *p, n, NULL)) return 0;
    *p += n;
    *left -= n;
    return 1;
}

static void cmd_verify(char **argv, int argc)
{
    size_t pklen = 0, vlen = 0, siglen = 0, left;
    unsigned char *pk = NULL, *value = NULL, *sig = NULL;
    const unsigned char *p;
    gcry_mpi_t mp = NULL, mq = NULL, mg = NULL, my = NULL;
    gcry_sexp_t pubs = NULL;
    gcry_error_t err;
    unsigned short type;
    if (argc != 4) {
        fail("usage: verify <hex pubkey (type + p q g y)> <hex value> <hex signature>");
        return;
    }
    pk = hex_decode(argv[1], &pklen);
    value = hex_decode(argv[2], &vlen);
    sig = hex_decode(argv[3], &siglen);
    if (!pk || !value || !sig || pklen < 2 || vlen == 0 || vlen > 64) {
        fail("verify: bad hex arguments");
        goto done;
    }
    type = (unsigned short)(pk[0] << 8 | pk[1]);
    p = pk + 2;
    left = pklen - 2;
    if (type != OTRL_PUBKEY_TYPE_DSA || !read_mpi(&p, &left, &mp) || !read_mpi(&p, &left, &mq) ||
        !read_mpi(&p, &left, &mg) || !read_mpi(&p, &left, &my) || left != 0) {
        fail("verify: malformed public key");
        goto done;
    }
    if (gcry_sexp_build(&pubs, NULL, "(public-key (dsa (p %m)(q %m)(g %m)(y %m)))", mp, mq, mg, my)) {
        fail("verify: cannot build the key");
        goto done;
    }
    err = otrl_privkey_verify(sig, siglen, type, pubs, value, vlen);
    if (err) {
        char tok[128];
        out_line("verified false %s", err_token(err, tok, sizeof tok));
    } else {
        out_line("verified true");
    }
done:
    gcry_sexp_release(pubs);
    gcry_mpi_release(mp);
    gcry_mpi_release(mq);
    gcry_mpi_release(mg);
    gcry_mpi_release(my);
    free(pk);
    free(value);
    free(sig);
}

static ConnContext *encrypted_context(const char *peer)
{
    ConnContext *ctx = best_context(peer);
    if (!ctx || ctx->msgstate != OTRL_MSGSTATE_ENCRYPTED) {
        fail("no encrypted session with %s", peer);
        return NULL;
    }
    return ctx;
}

/* smp-start <peer> <b64 secret> [<b64 question>] */
static void cmd_smp_start(char **argv, int argc)
{
    size_t slen, qlen;
    unsigned char *secret, *question = NULL;
    ConnContext *ctx;
    if (argc < 3 || argc > 4) {
        fail("usage: smp-start <peer> <base64 secret> [<base64 question>]");
        return;
    }
    if (!need_init() || !(ctx = encrypted_context(argv[1]))) return;
    secret = b64_decode(argv[2], &slen);
    if (argc == 4) question = b64_decode(argv[3], &qlen);
    if (!secret || (argc == 4 && !question)) {
        fail("smp-start: invalid base64");
    } else if (question) {
        otrl_message_initiate_smp_q(us, &ops, NULL, ctx, (char *)question, secret, slen);
    } else {
        otrl_message_initiate_smp(us, &ops, NULL, ctx, secret, slen);
    }
    free(secret);
    free(question);
}

static void cmd_smp_respond(char **argv, int argc)
{
    size_t slen;
    unsigned char *secret;
    ConnContext *ctx;
    if (argc != 3) {
        fail("usage: smp-respond <peer> <base64 secret>");
        return;
    }
    if (!need_init() || !(ctx = encrypted_context(argv[1]))) return;
    secret = b64_decode(argv[2], &slen);
    if (!secret) {
        fail("smp-respond: invalid base64");
        return;
    }
    otrl_message_respond_smp(us, &ops, NULL, ctx, secret, slen);
    free(secret);
}

static void cmd_smp_abort(char **argv, int argc)
{
    ConnContext *ctx;
    if (argc != 2) {
        fail("usage: smp-abort <peer>");
        return;
    }
    if (!need_init() || !(ctx = encrypted_context(argv[1]))) return;
    otrl_message_abort_smp(us, &ops, NULL, ctx);
}

/* symkey <peer> <use> <hex usedata>: tells the peer (TLV 8) and prints the key. */
static void cmd_symkey(char **argv, int argc)
{
    size_t udlen = 0;
    unsigned char *ud;
    unsigned char key[OTRL_EXTRAKEY_BYTES];
    char *end = NULL, *hex;
    unsigned long use;
    ConnContext *ctx;
    gcry_error_t err;
    if (argc < 3 || argc > 4) {
        fail("usage: symkey <peer> <use (uint32)> [<hex usedata>]");
        return;
    }
    if (!need_init() || !(ctx = encrypted_context(argv[1]))) return;
    errno = 0;
    use = strtoul(argv[2], &end, 10);
    if (errno || !end || *end || use > 0xffffffffUL) {
        fail("symkey: bad use number");
        return;
    }
    ud = hex_decode(argc == 4 ? argv[3] : "", &udlen);
    if (!ud) {
        fail("symkey: bad hex usedata");
        return;
    }
    err = otrl_message_symkey(us, &ops, NULL, ctx, (unsigned int)use, ud, udlen, key);
    free(ud);
    if (err) {
        fail("otrl_message_symkey: %s", gcry_strerror(err));
        return;
    }
    hex = hex_encode(key, sizeof key);
    out_line("symkey %s", hex ? hex : "");
    free(hex);
}

static void cmd_maxfrag(char **argv, int argc)
{
    char *end = NULL;
    long v;
    if (argc != 2) {
        fail("usage: maxfrag <n>");
        return;
    }
    errno = 0;
    v = strtol(argv[1], &end, 10);
    if (errno || !end || *end || v < 0 || v > 100000000 || (v > 0 && v < MIN_MAXFRAG)) {
        fail("maxfrag: expected 0 (no fragmentation) or %d..100000000", MIN_MAXFRAG);
        return;
    }
    maxfrag = (int)v;
}

static void cmd_instag(int argc)
{
    OtrlInsTag *tag;
    if (argc != 1) {
        fail("usage: instag");
        return;
    }
    if (!need_init()) return;
    tag = otrl_instag_find(us, account, protocol);
    out_line("instag %08x", tag ? tag->instag : 0);
}

/* ---- main loop -------------------------------------------------------------- */

static int split_args(char *line, char **argv)
{
    int argc = 0;
    char *p = line;
    while (*p) {
        while (*p == ' ' || *p == '\t') p++;
        if (!*p) break;
        if (argc == MAX_ARGS) return -1;
        argv[argc++] = p;
        while (*p && *p != ' ' && *p != '\t') p++;
        if (*p) *p++ = '\0';
    }
    return argc;
}

/* Returns 0 to go on, 1 to quit. */
static int run_command(char *line)
{
    char *argv[MAX_ARGS];
    int argc = split_args(line, argv);
    const char *cmd;
    if (argc < 0) {
        fail("too many arguments");
        return 0;
    }
    if (argc == 0) {
        fail("empty command");
        return 0;
    }
    cmd = argv[0];
    if (!strcmp(cmd, "quit")) return 1;
    if (!strcmp(cmd, "init")) cmd_init(argv, argc);
    else if (!strcmp(cmd, "policy")) {
        if (argc != 2 || !set_policy(argv[1])) fail("usage: policy <never|manual|opportunistic|always|v2only|v3only>");
    } else if (!strcmp(cmd, "maxfrag")) cmd_maxfrag(argv, argc);
    else if (!strcmp(cmd, "send")) cmd_send(argv, argc);
    else if (!strcmp(cmd, "recv")) cmd_recv(argv, argc);
    else if (!strcmp(cmd, "query")) cmd_query(argv, argc);
    else if (!strcmp(cmd, "end")) cmd_end(argv, argc);
    else if (!strcmp(cmd, "fingerprint")) cmd_fingerprint(argc);
    else if (!strcmp(cmd, "state")) cmd_state(argv, argc);
    else if (!strcmp(cmd, "sign")) cmd_sign(argv, argc);
    else if (!strcmp(cmd, "verify")) cmd_verify(argv, argc);
    else if (!strcmp(cmd, "pubkey")) cmd_pubkey(argc);
    else if (!strcmp(cmd, "instag")) cmd_instag(argc);
    else if (!strcmp(cmd, "smp-start")) cmd_smp_start(argv, argc);
    else if (!strcmp(cmd, "smp-respond")) cmd_smp_respond(argv, argc);
    else if (!strcmp(cmd, "smp-abort")) cmd_smp_abort(argv, argc);
    else if (!strcmp(cmd, "symkey")) cmd_symkey(argv, argc);
    else if (!strcmp(cmd, "poll")) {
        if (argc != 1) fail("usage: poll");
        else if (need_init()) otrl_message_poll(us, &ops, NULL);
    } else if (!strcmp(cmd, "ping")) {
        out_line("pong %s", otrl_version());
    } else {
        fail("unknown command '%.64s'", cmd);
    }
    return 0;
}

int main(void)
{
    static char line[MAX_LINE + 1];

    signal(SIGPIPE, SIG_IGN);
    if (!gcry_check_version(NULL)) {
        fprintf(stderr, "otr-peer: libgcrypt initialisation failed\n");
        return 2;
    }
    /* A test tool: no locked secure memory (libotr keeps whole messages in it). */
    gcry_control(GCRYCTL_DISABLE_SECMEM, 0);
    gcry_control(GCRYCTL_INITIALIZATION_FINISHED, 0);
    OTRL_INIT;
    us = otrl_userstate_create();

    ops.policy = cb_policy;
    ops.create_privkey = cb_create_privkey;
    ops.is_logged_in = cb_is_logged_in;
    ops.inject_message = cb_inject_message;
    ops.update_context_list = cb_update_context_list;
    ops.new_fingerprint = cb_new_fingerprint;
    ops.write_fingerprints = cb_write_fingerprints;
    ops.gone_secure = cb_gone_secure;
    ops.gone_insecure = cb_gone_insecure;
    ops.still_secure = cb_still_secure;
    ops.max_message_size = cb_max_message_size;
    ops.account_name = cb_account_name;
    ops.account_name_free = cb_account_name_free;
    ops.received_symkey = cb_received_symkey;
    ops.otr_error_message = cb_otr_error_message;
    ops.otr_error_message_free = cb_otr_error_message_free;
    ops.resent_msg_prefix = NULL; /* libotr's default "[resent]" */
    ops.resent_msg_prefix_free = NULL;
    ops.handle_smp_event = cb_handle_smp_event;
    ops.handle_msg_event = cb_handle_msg_event;
    ops.create_instag = cb_create_instag;
    ops.convert_msg = NULL;
    ops.convert_free = NULL;
    ops.timer_control = cb_timer_control;

    fprintf(stderr, "otr-peer: libotr %s ready\n", otrl_version());

    for (;;) {
        size_t len = 0;
        int c, too_long = 0;
        while ((c = getchar()) != EOF && c != '\n') {
            if (len < MAX_LINE) line[len++] = (char)c;
            else too_long = 1;
        }
        if (c == EOF && len == 0 && !too_long) break;
        if (len > 0 && line[len - 1] == '\r') len--;
        line[len] = '\0';
        command_failed = 0;
        maybe_poll();
        if (too_long) {
            fail("line longer than %u bytes", MAX_LINE);
        } else if (memchr(line, '\0', len)) {
            fail("NUL byte in command line");
        } else if (run_command(line)) {
            out_line("ok");
            break;
        }
        out_line("ok");
        if (c == EOF) break;
    }

    otrl_userstate_free(us);
    free(account);
    free(protocol);
    free(keyfile);
    free(instagfile);
    free(fpfile);
    return 0;
}
