/* Raw librdkafka baseline for `make bench`: the same workload as the Swift Kafka module's
 * benchmark (N messages, 18-byte keys, ~400-byte values, same producer/consumer settings),
 * so the two rates can be compared on the same machine in the same run.
 *
 * usage: kafka_bench produce|consume BOOTSTRAP TOPIC COUNT VALUE_BYTES
 * prints one number: messages per second. */
#include <librdkafka/rdkafka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void set(rd_kafka_conf_t *conf, const char *k, const char *v) {
    char err[512];
    if (rd_kafka_conf_set(conf, k, v, err, sizeof err) != RD_KAFKA_CONF_OK) {
        fprintf(stderr, "%s: %s\n", k, err);
        exit(2);
    }
}

static long delivered = 0, failed = 0;
static void dr(rd_kafka_t *rk, const rd_kafka_message_t *m, void *opaque) {
    (void)rk; (void)opaque;
    if (m->err) failed++; else delivered++;
}

static int produce(const char *bootstrap, const char *topic, long count, int value_bytes) {
    char err[512];
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    set(conf, "bootstrap.servers", bootstrap);
    set(conf, "enable.idempotence", "true");
    set(conf, "linger.ms", "5");
    set(conf, "batch.num.messages", "10000");
    set(conf, "queue.buffering.max.messages", "100000");
    set(conf, "partitioner", "murmur2_random");
    rd_kafka_conf_set_dr_msg_cb(conf, dr);
    rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof err);
    if (!rk) { fprintf(stderr, "%s\n", err); return 2; }
    char *value = malloc(value_bytes);
    memset(value, 'v', value_bytes);
    char key[32];
    double start = now();
    for (long i = 0; i < count; i++) {
        snprintf(key, sizeof key, "K%017ld", i);
        for (;;) {
            rd_kafka_resp_err_t e = rd_kafka_producev(
                rk, RD_KAFKA_V_TOPIC(topic), RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_KEY(key, 18),
                RD_KAFKA_V_VALUE(value, (size_t)value_bytes), RD_KAFKA_V_END);
            if (e == RD_KAFKA_RESP_ERR_NO_ERROR) break;
            if (e != RD_KAFKA_RESP_ERR__QUEUE_FULL) { fprintf(stderr, "produce: %s\n", rd_kafka_err2str(e)); return 1; }
            rd_kafka_poll(rk, 1);
        }
        rd_kafka_poll(rk, 0);
    }
    rd_kafka_flush(rk, 120000);
    double secs = now() - start;
    if (delivered != count || failed) { fprintf(stderr, "delivered %ld failed %ld\n", delivered, failed); return 1; }
    printf("%.0f\n", count / secs);
    rd_kafka_destroy(rk);
    free(value);
    return 0;
}

static int consume(const char *bootstrap, const char *topic, long count) {
    char err[512], group[128];
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    snprintf(group, sizeof group, "bench-c-%ld", (long)time(NULL));
    set(conf, "bootstrap.servers", bootstrap);
    set(conf, "group.id", group);
    set(conf, "auto.offset.reset", "earliest");
    set(conf, "enable.auto.offset.store", "false");
    rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, err, sizeof err);
    if (!rk) { fprintf(stderr, "%s\n", err); return 2; }
    rd_kafka_poll_set_consumer(rk);
    rd_kafka_topic_partition_list_t *topics = rd_kafka_topic_partition_list_new(1);
    rd_kafka_topic_partition_list_add(topics, topic, RD_KAFKA_PARTITION_UA);
    rd_kafka_subscribe(rk, topics);
    rd_kafka_topic_partition_list_destroy(topics);
    long n = 0;
    size_t bytes = 0;
    double start = 0;
    while (n < count) {
        rd_kafka_message_t *m = rd_kafka_consumer_poll(rk, 1000);
        if (!m) continue;
        if (!m->err) {
            if (n == 0) start = now();
            bytes += m->len + m->key_len;
            n++;
        }
        rd_kafka_message_destroy(m);
    }
    double secs = now() - start;
    printf("%.0f\n", count / secs);
    fprintf(stderr, "consumed %ld messages, %zu bytes\n", n, bytes);
    rd_kafka_consumer_close(rk);
    rd_kafka_destroy(rk);
    return 0;
}

int main(int argc, char **argv) {
    if (argc != 6) {
        fprintf(stderr, "usage: %s produce|consume BOOTSTRAP TOPIC COUNT VALUE_BYTES\n", argv[0]);
        return 2;
    }
    long count = atol(argv[4]);
    if (!strcmp(argv[1], "produce")) return produce(argv[2], argv[3], count, atoi(argv[5]));
    if (!strcmp(argv[1], "consume")) return consume(argv[2], argv[3], count);
    fprintf(stderr, "unknown mode %s\n", argv[1]);
    return 2;
}
