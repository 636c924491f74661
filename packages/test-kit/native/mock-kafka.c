/*
 * A Kafka-protocol broker for tests: librdkafka's built-in mock cluster, run as
 * a process of its own so that kafkajs (or anything else) can talk to it.
 *
 *   mock-kafka [--brokers N] [--port P] [--topic NAME:PARTITIONS]...
 *
 * Prints "BOOTSTRAP host:port[,host:port...]" on stdout once it is serving, then
 * runs until stdin closes or it gets SIGTERM/SIGINT. Keeps nothing on disk.
 *
 * Faults are injected at run time with one command per line on stdin (rdkafka_mock.h),
 * each answered "OK" or "ERR <why>" on stdout:
 *   topic-error TOPIC ERRCODE          every request about TOPIC fails with ERRCODE (0 clears)
 *   request-errors APIKEY ERRCODE...   the next requests of APIKEY fail, one error each
 *   clear-request-errors APIKEY        drops what is left of those
 *   rtt BROKER_ID MS                   the broker answers MS later (timeouts)
 *
 * Two fixes over starting the mock through kcat:
 *  - the mock reports controller id 0 while its brokers are numbered from 1, so
 *    kafkajs' idempotent producer fails with "Broker 0 not found"; we set the
 *    controller to broker 1 (the field is internal: its offset is checked below);
 *  - with --port, the brokers listen on P, P+1, ... instead of random ports, by
 *    interposing bind(), so a restarted broker is found at the same address.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>

static int next_port = 0; /* 0: let the kernel choose */

/* librdkafka resolves bind() through the executable first (linked -rdynamic). */
int bind(int fd, const struct sockaddr *addr, socklen_t len) {
        static int (*real_bind)(int, const struct sockaddr *, socklen_t);
        if (!real_bind)
                real_bind = (int (*)(int, const struct sockaddr *, socklen_t))dlsym(RTLD_NEXT, "bind");
        if (next_port > 0 && addr && addr->sa_family == AF_INET && len >= (socklen_t)sizeof(struct sockaddr_in)) {
                struct sockaddr_in in;
                memcpy(&in, addr, sizeof in);
                if (in.sin_port == 0) {
                        in.sin_port = htons((uint16_t)next_port++);
                        int one = 1;
                        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
                        return real_bind(fd, (const struct sockaddr *)&in, sizeof in);
                }
        }
        return real_bind(fd, addr, len);
}

/* Mirrors the head of librdkafka's internal struct rd_kafka_mock_cluster_s. */
struct mock_cluster_head {
        char id[32];
        rd_kafka_t *rk;
        int32_t controller_id;
};

static volatile sig_atomic_t stop = 0;
static void on_signal(int sig) { (void)sig; stop = 1; }

/* Runs one fault-injection command (see the header); answers on stdout. */
static void run_command(rd_kafka_mock_cluster_t *mc, char *line) {
        char *argv[64];
        int argc = 0;
        for (char *tok = strtok(line, " \t\r\n"); tok && argc < 64; tok = strtok(NULL, " \t\r\n"))
                argv[argc++] = tok;
        if (argc == 0) return;
        if (!strcmp(argv[0], "topic-error") && argc == 3) {
                rd_kafka_mock_topic_set_error(mc, argv[1], (rd_kafka_resp_err_t)atoi(argv[2]));
        } else if (!strcmp(argv[0], "request-errors") && argc >= 3) {
                rd_kafka_resp_err_t errs[62];
                for (int i = 2; i < argc; i++) errs[i - 2] = (rd_kafka_resp_err_t)atoi(argv[i]);
                rd_kafka_mock_push_request_errors_array(mc, (int16_t)atoi(argv[1]), (size_t)(argc - 2), errs);
        } else if (!strcmp(argv[0], "clear-request-errors") && argc == 2) {
                rd_kafka_mock_clear_request_errors(mc, (int16_t)atoi(argv[1]));
        } else if (!strcmp(argv[0], "rtt") && argc == 3) {
                rd_kafka_resp_err_t err = rd_kafka_mock_broker_set_rtt(mc, atoi(argv[1]), atoi(argv[2]));
                if (err) {
                        printf("ERR %s\n", rd_kafka_err2str(err));
                        fflush(stdout);
                        return;
                }
        } else {
                printf("ERR unknown command or wrong arguments: %s\n", argv[0]);
                fflush(stdout);
                return;
        }
        printf("OK\n");
        fflush(stdout);
}

static void die(const char *msg) {
        fprintf(stderr, "mock-kafka: %s\n", msg);
        exit(2);
}

int main(int argc, char **argv) {
        int brokers = 1;
        char errstr[512];

        for (int i = 1; i < argc; i++) {
                if (!strcmp(argv[i], "--brokers") && i + 1 < argc)
                        brokers = atoi(argv[++i]);
                else if (!strcmp(argv[i], "--port") && i + 1 < argc)
                        next_port = atoi(argv[++i]);
                else if (!strcmp(argv[i], "--topic") && i + 1 < argc)
                        i++; /* created once the cluster exists */
                else {
                        fprintf(stderr, "mock-kafka: unknown argument %s\n", argv[i]);
                        return 2;
                }
        }
        if (brokers < 1) die("--brokers must be at least 1");

        rd_kafka_conf_t *conf = rd_kafka_conf_new();
        rd_kafka_conf_set(conf, "log_level", "3", errstr, sizeof errstr);
        rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof errstr);
        if (!rk) die(errstr);

        rd_kafka_mock_cluster_t *mc = rd_kafka_mock_cluster_new(rk, brokers);
        if (!mc) die("could not create the mock cluster (ports taken?)");

        struct mock_cluster_head *head = (struct mock_cluster_head *)mc;
        if (head->rk != rk) die("unexpected librdkafka mock layout: cannot set the controller id");
        head->controller_id = 1;

        for (int i = 1; i < argc; i++) {
                if (strcmp(argv[i], "--topic") != 0) continue;
                char *spec = strdup(argv[++i]);
                char *colon = strrchr(spec, ':');
                int partitions = 1;
                if (colon) {
                        *colon = '\0';
                        partitions = atoi(colon + 1);
                }
                if (partitions < 1) die("a topic needs at least one partition");
                rd_kafka_resp_err_t err = rd_kafka_mock_topic_create(mc, spec, partitions, 1);
                if (err) {
                        fprintf(stderr, "mock-kafka: topic %s: %s\n", spec, rd_kafka_err2str(err));
                        return 2;
                }
                free(spec);
        }

        signal(SIGTERM, on_signal);
        signal(SIGINT, on_signal);
        signal(SIGPIPE, SIG_IGN);
        printf("BOOTSTRAP %s\n", rd_kafka_mock_cluster_bootstraps(mc));
        fflush(stdout);

        /* Serve until told to stop or until the parent goes away (stdin closes). */
        struct pollfd pfd = {.fd = 0, .events = POLLIN};
        char buf[4096];
        size_t used = 0;
        while (!stop) {
                int n = poll(&pfd, 1, 200);
                if (n > 0) {
                        ssize_t r = read(0, buf + used, sizeof buf - 1 - used);
                        if (r <= 0) break;
                        used += (size_t)r;
                        buf[used] = '\0';
                        char *start = buf, *newline;
                        while ((newline = strchr(start, '\n'))) {
                                *newline = '\0';
                                run_command(mc, start);
                                start = newline + 1;
                        }
                        used = strlen(start);
                        memmove(buf, start, used + 1);
                        if (used == sizeof buf - 1) used = 0; /* a line too long to be a command */
                } else if (n < 0 && errno != EINTR) {
                        break;
                }
        }

        rd_kafka_mock_cluster_destroy(mc);
        rd_kafka_destroy(rk);
        return 0;
}
