/*
 * otr-bench: libotr 4.1.x timings for scripts/bench-otr.ts, which runs the same
 * workloads on Klatsch's own OTR engine and compares the two.
 *
 * Two parties ("alice", "bob") live in one process, each with its own
 * OtrlUserState. libotr's inject_message appends to an in-memory FIFO; the
 * bench loop hands every queued message to the other party with
 * otrl_message_receiving until the queue is empty ("deliver until quiet").
 *
 * Usage: otr-bench <ake_runs> <msgs_100b> <msgs_10kb> <keygen_runs> [<ake_warmup> [<msg_warmup>
 *                  [<smp_runs> [<smp_warmup>]]]]
 *
 * Measures (CLOCK_MONOTONIC):
 *   ake       query message (alice, otrl_proto_default_query_msg) → both contexts ENCRYPTED;
 *             contexts are forgotten between runs (untimed); long-term keys and instance tags
 *             exist beforehand.
 *   data_*    one AKE, then messages of 100 B / 10 KiB of ASCII, alternating the sender every
 *             message (so DH keys rotate as in a chat): otrl_message_sending on one side,
 *             otrl_message_receiving on the other (plus anything it injects in reply);
 *             every decrypted text is checked. data_*_oneway: the same afterwards with alice
 *             always sending (no key rotation: symmetric crypto and encoding only).
 *   smp       in the session of the data messages: otrl_message_initiate_smp (alice, shared secret),
 *             deliver until quiet (bob gets ASK_FOR_SECRET), otrl_message_respond_smp (bob), deliver
 *             until quiet: both sides must report OTRL_SMPEVENT_SUCCESS.
 *   keygen    DSA-1024: otrl_privkey_generate_start + _calculate + _finish_FILEp (to a tmpfile()).
 *
 * Prints one JSON object on stdout; diagnostics go to stderr; exit status 1 on any failure.
 *
 * Build: tests/otr-peer/build-bench.sh
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <gcrypt.h>

/* proto.h first: libotr's headers depend on it (same order as otr-peer.c). */
#include <libotr/proto.h>
#include <libotr/context.h>
#include <libotr/instag.h>
#include <libotr/message.h>
#include <libotr/privkey.h>
#include <libotr/tlv.h>
#include <libotr/userstate.h>

#define PROTOCOL "bench"
#define POLICY OTRL_POLICY_MANUAL /* ALLOW_V2 | ALLOW_V3, no whitespace tags, no required encryption */

typedef struct Party {
    const char *account;
    struct Party *peer;
    OtrlUserState us;
    int gone_secure;
    int smp_success;
} Party;

typedef struct {
    Party *to;
    Party *from;
    char *msg;
} Queued;

static Party alice = {"alice@bench", NULL, NULL, 0, 0};
static Party bob = {"bob@bench", NULL, NULL, 0, 0};

static Queued *queue;
static size_t queue_head, queue_len, queue_cap;
static OtrlMessageAppOps ops;
static long failures;

static void die(const char *what, gcry_error_t err)
{
    fprintf(stderr, "otr-bench: %s%s%s\n", what, err ? ": " : "", err ? gcry_strerror(err) : "");
    exit(1);
}

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

/* ---- the in-memory network ------------------------------------------------- */

static void enqueue(Party *from, const char *msg)
{
    if (queue_head + queue_len == queue_cap) {
        if (queue_head > 0) {
            memmove(queue, queue + queue_head, queue_len * sizeof *queue);
            queue_head = 0;
        } else {
            queue_cap = queue_cap ? 2 * queue_cap : 16;
            queue = realloc(queue, queue_cap * sizeof *queue);
            if (!queue) die("out of memory", 0);
        }
    }
    char *copy = strdup(msg);
    if (!copy) die("out of memory", 0);
    queue[queue_head + queue_len++] = (Queued){from->peer, from, copy};
}

/* Delivers one received message; returns libotr's decrypted text (caller frees) or NULL. */
static char *deliver(Party *to, Party *from, const char *msg, int *ignorep)
{
    char *newmsg = NULL;
    OtrlTLV *tlvs = NULL;
    int ignore = otrl_message_receiving(to->us, &ops, to, to->account, PROTOCOL, from->account, msg, &newmsg,
                                        &tlvs, NULL, NULL, NULL);
    if (tlvs) otrl_tlv_free(tlvs);
    if (ignorep) *ignorep = ignore;
    return newmsg;
}

/* Delivers everything queued (and whatever that injects) until the network is quiet. */
static void drain(void)
{
    int rounds = 0;
    while (queue_len > 0) {
        Queued q = queue[queue_head++];
        queue_len--;
        if (queue_len == 0) queue_head = 0;
        if (++rounds > 1000) die("the parties did not settle", 0);
        char *newmsg = deliver(q.to, q.from, q.msg, NULL);
        if (newmsg) otrl_message_free(newmsg);
        free(q.msg);
    }
}

/* ---- libotr callbacks ------------------------------------------------------ */

static OtrlPolicy cb_policy(void *opdata, ConnContext *context)
{
    (void)opdata;
    (void)context;
    return POLICY;
}

static void cb_create_privkey(void *opdata, const char *accountname, const char *protocol)
{
    (void)opdata;
    fprintf(stderr, "otr-bench: libotr asked for a key for %s/%s (keys are made beforehand)\n", accountname, protocol);
    failures++;
}

static int cb_is_logged_in(void *opdata, const char *accountname, const char *protocol, const char *recipient)
{
    (void)opdata;
    (void)accountname;
    (void)protocol;
    (void)recipient;
    return 1;
}

static void cb_inject_message(void *opdata, const char *accountname, const char *protocol, const char *recipient,
                              const char *message)
{
    (void)accountname;
    (void)protocol;
    (void)recipient;
    if (message && *message) enqueue((Party *)opdata, message);
}

static void cb_noop(void *opdata)
{
    (void)opdata;
}

static void cb_new_fingerprint(void *opdata, OtrlUserState us, const char *accountname, const char *protocol,
                               const char *username, unsigned char fingerprint[20])
{
    (void)opdata;
    (void)us;
    (void)accountname;
    (void)protocol;
    (void)username;
    (void)fingerprint;
}

static void cb_gone_secure(void *opdata, ConnContext *context)
{
    (void)context;
    ((Party *)opdata)->gone_secure++;
}

static void cb_context_noop(void *opdata, ConnContext *context)
{
    (void)opdata;
    (void)context;
}

static void cb_still_secure(void *opdata, ConnContext *context, int is_reply)
{
    (void)opdata;
    (void)context;
    (void)is_reply;
}

static int cb_max_message_size(void *opdata, ConnContext *context)
{
    (void)opdata;
    (void)context;
    return 0; /* never fragment */
}

static const char *cb_account_name(void *opdata, const char *account, const char *protocol)
{
    (void)opdata;
    (void)protocol;
    return strdup(account);
}

static void cb_free_string(void *opdata, const char *s)
{
    (void)opdata;
    free((char *)s);
}

static const char *cb_otr_error_message(void *opdata, ConnContext *context, OtrlErrorCode code)
{
    (void)opdata;
    (void)context;
    fprintf(stderr, "otr-bench: libotr wants to send an error message (code %d)\n", (int)code);
    failures++;
    return strdup("bench error");
}

static void cb_handle_msg_event(void *opdata, OtrlMessageEvent event, ConnContext *context, const char *message,
                                gcry_error_t err)
{
    (void)opdata;
    (void)context;
    (void)message;
    if (event == OTRL_MSGEVENT_LOG_HEARTBEAT_RCVD || event == OTRL_MSGEVENT_LOG_HEARTBEAT_SENT) return;
    fprintf(stderr, "otr-bench: unexpected message event %d%s%s\n", (int)event, err ? ": " : "",
            err ? gcry_strerror(err) : "");
    failures++;
}

static void cb_handle_smp_event(void *opdata, OtrlSMPEvent event, ConnContext *context, unsigned short progress,
                                char *question)
{
    (void)context;
    (void)progress;
    (void)question;
    if (event == OTRL_SMPEVENT_SUCCESS) {
        ((Party *)opdata)->smp_success++;
    } else if (event != OTRL_SMPEVENT_ASK_FOR_SECRET && event != OTRL_SMPEVENT_IN_PROGRESS) {
        fprintf(stderr, "otr-bench: unexpected SMP event %d\n", (int)event);
        failures++;
    }
}

static void cb_create_instag(void *opdata, const char *accountname, const char *protocol)
{
    (void)opdata;
    fprintf(stderr, "otr-bench: libotr asked for an instance tag for %s/%s (made beforehand)\n", accountname,
            protocol);
    failures++;
}

static void cb_timer_control(void *opdata, unsigned int interval)
{
    (void)opdata;
    (void)interval;
}

/* ---- setup ----------------------------------------------------------------- */

static void setup_party(Party *p, Party *peer)
{
    gcry_error_t err;
    FILE *f;
    p->peer = peer;
    p->us = otrl_userstate_create();
    if (!p->us) die("otrl_userstate_create failed", 0);
    f = tmpfile();
    if (!f) die("tmpfile failed", 0);
    err = otrl_privkey_generate_FILEp(p->us, f, p->account, PROTOCOL);
    fclose(f);
    if (err) die("otrl_privkey_generate_FILEp", err);
    f = tmpfile();
    if (!f) die("tmpfile failed", 0);
    err = otrl_instag_generate_FILEp(p->us, f, p->account, PROTOCOL);
    fclose(f);
    if (err) die("otrl_instag_generate_FILEp", err);
}

/* True if the party's best context with its peer is ENCRYPTED with protocol version 3. */
static int encrypted(Party *p)
{
    ConnContext *c = otrl_context_find(p->us, p->peer->account, p->account, PROTOCOL, OTRL_INSTAG_BEST, 0, NULL,
                                       NULL, NULL);
    return c && c->msgstate == OTRL_MSGSTATE_ENCRYPTED && c->protocol_version == 3;
}

/* ---- workloads ------------------------------------------------------------- */

/* One AKE from fresh contexts; returns its duration in ms. */
static double run_ake(void)
{
    otrl_context_forget_all(alice.us);
    otrl_context_forget_all(bob.us);
    alice.gone_secure = bob.gone_secure = 0;

    double t0 = now_ms();
    char *query = otrl_proto_default_query_msg(alice.account, POLICY);
    if (!query) die("otrl_proto_default_query_msg failed", 0);
    enqueue(&alice, query);
    free(query);
    drain();
    double t1 = now_ms();

    if (!encrypted(&alice) || !encrypted(&bob) || alice.gone_secure != 1 || bob.gone_secure != 1) {
        fprintf(stderr, "otr-bench: AKE did not complete (alice %d/%d, bob %d/%d)\n", encrypted(&alice),
                alice.gone_secure, encrypted(&bob), bob.gone_secure);
        exit(1);
    }
    return t1 - t0;
}

/* Sends `count` messages of `text`, alternating the sender (or alice only if one_way);
 * returns the total time in ms. */
static double run_messages(const char *text, long count, long *sentp, int one_way)
{
    double t0 = now_ms();
    for (long i = 0; i < count; i++) {
        Party *from = (*sentp)++ % 2 == 0 || one_way ? &alice : &bob;
        Party *to = from->peer;
        char *newmsg = NULL;
        gcry_error_t err = otrl_message_sending(from->us, &ops, from, from->account, PROTOCOL, to->account,
                                                OTRL_INSTAG_BEST, text, NULL, &newmsg, OTRL_FRAGMENT_SEND_ALL,
                                                NULL, NULL, NULL);
        if (err) die("otrl_message_sending", err);
        if (newmsg) otrl_message_free(newmsg);
        if (queue_len != 1) die("otrl_message_sending did not inject exactly one message", 0);
        Queued q = queue[queue_head];
        queue_head = 0;
        queue_len = 0;
        int ignore = 0;
        char *plain = deliver(q.to, q.from, q.msg, &ignore);
        free(q.msg);
        if (ignore || !plain || strcmp(plain, text) != 0) {
            fprintf(stderr, "otr-bench: message %ld was not decrypted correctly\n", *sentp);
            exit(1);
        }
        otrl_message_free(plain);
        drain(); /* replies (heartbeats), if any */
    }
    return now_ms() - t0;
}

static ConnContext *best_context(Party *p)
{
    ConnContext *c = otrl_context_find(p->us, p->peer->account, p->account, PROTOCOL, OTRL_INSTAG_BEST, 0, NULL,
                                       NULL, NULL);
    if (!c || c->msgstate != OTRL_MSGSTATE_ENCRYPTED) die("SMP: no private context", 0);
    return c;
}

/* One SMP (alice starts, bob answers with the same secret); returns its duration in ms. */
static double run_smp(void)
{
    static const unsigned char secret[] = "correct horse battery staple";
    ConnContext *ca = best_context(&alice), *cb = best_context(&bob);
    alice.smp_success = bob.smp_success = 0;

    double t0 = now_ms();
    otrl_message_initiate_smp(alice.us, &ops, &alice, ca, secret, sizeof secret - 1);
    drain();
    otrl_message_respond_smp(bob.us, &ops, &bob, cb, secret, sizeof secret - 1);
    drain();
    double t1 = now_ms();

    if (alice.smp_success != 1 || bob.smp_success != 1) {
        fprintf(stderr, "otr-bench: SMP did not succeed on both sides (alice %d, bob %d)\n", alice.smp_success,
                bob.smp_success);
        exit(1);
    }
    return t1 - t0;
}

static char *make_text(size_t len)
{
    static const char words[] = "Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod tempor. ";
    char *s = malloc(len + 1);
    if (!s) die("out of memory", 0);
    for (size_t i = 0; i < len; i++) s[i] = words[i % (sizeof words - 1)];
    s[len] = '\0';
    return s;
}

static double keygen_once(void)
{
    OtrlUserState us = otrl_userstate_create();
    void *newkey = NULL;
    FILE *f = tmpfile();
    if (!us || !f) die("setup for keygen failed", 0);
    double t0 = now_ms();
    gcry_error_t err = otrl_privkey_generate_start(us, "keygen@bench", PROTOCOL, &newkey);
    if (!err) err = otrl_privkey_generate_calculate(newkey);
    if (!err) err = otrl_privkey_generate_finish_FILEp(us, newkey, f);
    double t1 = now_ms();
    if (err) die("DSA key generation", err);
    if (!otrl_privkey_find(us, "keygen@bench", PROTOCOL)) die("generated key not found", 0);
    fclose(f);
    otrl_userstate_free(us);
    return t1 - t0;
}

static long arg(int argc, char **argv, int i, long def, long min)
{
    if (i >= argc) return def;
    char *end;
    long v = strtol(argv[i], &end, 10);
    if (*argv[i] == '\0' || *end != '\0' || v < min) {
        fprintf(stderr,
                "usage: otr-bench <ake_runs> <msgs_100b> <msgs_10kb> <keygen_runs> [<ake_warmup> [<msg_warmup> "
                "[<smp_runs> [<smp_warmup>]]]]\n");
        exit(2);
    }
    return v;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* {"runs":N,"mean_ms":…,"median_ms":…,"min_ms":…,"max_ms":…} */
static void print_stats(const char *name, double *v, long n)
{
    double sum = 0;
    for (long i = 0; i < n; i++) sum += v[i];
    qsort(v, (size_t)n, sizeof *v, cmp_double);
    double median = n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
    printf("\"%s\":{\"runs\":%ld,\"mean_ms\":%.6f,\"median_ms\":%.6f,\"min_ms\":%.6f,\"max_ms\":%.6f}", name, n,
           sum / (double)n, median, v[0], v[n - 1]);
}

static void print_data(const char *name, size_t bytes, long n, double total)
{
    printf("\"%s\":{\"bytes\":%zu,\"msgs\":%ld,\"total_ms\":%.6f,\"ms_per_msg\":%.6f,\"msgs_per_s\":%.3f}", name,
           bytes, n, total, total / (double)n, (double)n / total * 1e3);
}

int main(int argc, char **argv)
{
    long ake_runs = arg(argc, argv, 1, 30, 1);
    long msgs_small = arg(argc, argv, 2, 1000, 1);
    long msgs_large = arg(argc, argv, 3, 500, 1);
    long keygen_runs = arg(argc, argv, 4, 40, 1);
    long ake_warmup = arg(argc, argv, 5, 5, 0);
    long msg_warmup = arg(argc, argv, 6, 50, 0);
    long smp_runs = arg(argc, argv, 7, 10, 1);
    long smp_warmup = arg(argc, argv, 8, 2, 0);

    if (!gcry_check_version(NULL)) die("libgcrypt initialisation failed", 0);
    /* As tests/otr-peer/otr-peer.c: no locked secure memory. */
    gcry_control(GCRYCTL_DISABLE_SECMEM, 0);
    gcry_control(GCRYCTL_INITIALIZATION_FINISHED, 0);
    OTRL_INIT;

    ops.policy = cb_policy;
    ops.create_privkey = cb_create_privkey;
    ops.is_logged_in = cb_is_logged_in;
    ops.inject_message = cb_inject_message;
    ops.update_context_list = cb_noop;
    ops.new_fingerprint = cb_new_fingerprint;
    ops.write_fingerprints = cb_noop;
    ops.gone_secure = cb_gone_secure;
    ops.gone_insecure = cb_context_noop;
    ops.still_secure = cb_still_secure;
    ops.max_message_size = cb_max_message_size;
    ops.account_name = cb_account_name;
    ops.account_name_free = cb_free_string;
    ops.received_symkey = NULL;
    ops.otr_error_message = cb_otr_error_message;
    ops.otr_error_message_free = cb_free_string;
    ops.resent_msg_prefix = NULL;
    ops.resent_msg_prefix_free = NULL;
    ops.handle_smp_event = cb_handle_smp_event;
    ops.handle_msg_event = cb_handle_msg_event;
    ops.create_instag = cb_create_instag;
    ops.convert_msg = NULL;
    ops.convert_free = NULL;
    ops.timer_control = cb_timer_control;

    /* Untimed: long-term keys and instance tags. */
    setup_party(&alice, &bob);
    setup_party(&bob, &alice);

    /* AKE */
    double *ake = calloc((size_t)ake_runs, sizeof *ake);
    if (!ake) die("out of memory", 0);
    for (long i = 0; i < ake_warmup; i++) run_ake();
    for (long i = 0; i < ake_runs; i++) ake[i] = run_ake();

    /* Data messages, in the session of the last AKE. */
    char *small = make_text(100), *large = make_text(10 * 1024);
    long sent = 0;
    run_messages(small, msg_warmup, &sent, 0);
    double small_ms = run_messages(small, msgs_small, &sent, 0);
    run_messages(large, msg_warmup, &sent, 0);
    double large_ms = run_messages(large, msgs_large, &sent, 0);
    /* For information: one direction only (no DH key rotation, symmetric crypto and encoding only). */
    run_messages(small, msg_warmup, &sent, 1);
    double small_oneway_ms = run_messages(small, msgs_small, &sent, 1);
    run_messages(large, msg_warmup, &sent, 1);
    double large_oneway_ms = run_messages(large, msgs_large, &sent, 1);

    /* SMP, in the same session */
    double *smp = calloc((size_t)smp_runs, sizeof *smp);
    if (!smp) die("out of memory", 0);
    for (long i = 0; i < smp_warmup; i++) run_smp();
    for (long i = 0; i < smp_runs; i++) smp[i] = run_smp();

    /* DSA-1024 key generation */
    double *keygen = calloc((size_t)keygen_runs, sizeof *keygen);
    if (!keygen) die("out of memory", 0);
    for (long i = 0; i < keygen_runs; i++) keygen[i] = keygen_once();

    if (failures) {
        fprintf(stderr, "otr-bench: %ld unexpected libotr callbacks/events\n", failures);
        return 1;
    }

    printf("{\"implementation\":\"libotr\",\"libotr_version\":\"%s\",\"gcrypt_version\":\"%s\",", otrl_version(),
           gcry_check_version(NULL));
    printf("\"direction\":\"alternating\",\"ake_warmup\":%ld,\"msg_warmup\":%ld,\"smp_warmup\":%ld,", ake_warmup,
           msg_warmup, smp_warmup);
    print_stats("ake", ake, ake_runs);
    putchar(',');
    print_data("data_100b", 100, msgs_small, small_ms);
    putchar(',');
    print_data("data_10kb", 10 * 1024, msgs_large, large_ms);
    putchar(',');
    print_data("data_100b_oneway", 100, msgs_small, small_oneway_ms);
    putchar(',');
    print_data("data_10kb_oneway", 10 * 1024, msgs_large, large_oneway_ms);
    putchar(',');
    print_stats("smp", smp, smp_runs);
    putchar(',');
    print_stats("keygen", keygen, keygen_runs);
    printf("}\n");

    otrl_userstate_free(alice.us);
    otrl_userstate_free(bob.us);
    free(ake);
    free(keygen);
    free(smp);
    free(small);
    free(large);
    free(queue);
    return 0;
}
