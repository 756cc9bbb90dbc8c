// The Java side of `npm run bench:txn-floor`: the same alternating measurement as
// test/bench/transaction-floor.bench.ts, made with Apache Kafka's own Java client, so the floor
// it finds does not depend on kafkajs. One acks=all idempotent produce of one record, then one
// transaction of the transformer's smallest shape (one output record, one changelog record, the
// consumed offset through sendOffsetsToTransaction), alternating at a fixed rate.
//
// The client uses transaction version 2 (KIP-890: no AddPartitionsToTxn or AddOffsetsToTxn round
// trip, the partition leader and the group coordinator add the partitions themselves) whenever
// the broker has finalized transaction.version=2; the JSON says which version was finalized.
//
// Usage: TransactionFloor --brokers HOST:PORT --rate N --count N --warmup N
// The last line on stdout is the JSON result; progress and errors go to stderr. Exit 2 on a bad
// command line, 1 on any Kafka failure.
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.FinalizedVersionRange;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerGroupMetadata;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringSerializer;

public final class TransactionFloor {
  private static final int PARTITIONS = 6;

  public static void main(String[] args) throws Exception {
    Map<String, String> opts =
        BenchArgs.parse(
            args,
            "TransactionFloor --brokers HOST:PORT --rate N --count N --warmup N",
            List.of("--brokers", "--rate", "--count", "--warmup"));
    String brokers = opts.get("--brokers");
    int rate = BenchArgs.positive(opts, "--rate");
    int count = BenchArgs.positive(opts, "--count");
    int warmup = BenchArgs.positive(opts, "--warmup");
    String run = "bench-txn-floor-java-" + UUID.randomUUID().toString().substring(0, 8);
    String out = run + ".out";
    String changelog = run + ".changelog";
    String raw = run + ".raw";

    Properties adminProps = new Properties();
    adminProps.put("bootstrap.servers", brokers);
    try (Admin admin = Admin.create(adminProps)) {
      admin
          .createTopics(
              List.of(
                  new NewTopic(out, PARTITIONS, (short) 1),
                  new NewTopic(changelog, PARTITIONS, (short) 1),
                  new NewTopic(raw, PARTITIONS, (short) 1)))
          .all()
          .get();
      FinalizedVersionRange tv =
          admin.describeFeatures().featureMetadata().get().finalizedFeatures().get("transaction.version");
      short transactionVersion = tv == null ? 0 : tv.maxVersionLevel();
      try {
        measure(brokers, run, out, changelog, raw, rate, count, warmup, transactionVersion);
      } finally {
        try {
          admin.deleteTopics(List.of(out, changelog, raw)).all().get(10, TimeUnit.SECONDS);
        } catch (Exception e) {
          // Never hides the measurement's own failure; a leftover topic is only named.
          System.err.println("[bench:txn-floor java] could not delete " + run + ".*: " + e);
        }
      }
    }
  }

  private static void measure(
      String brokers,
      String run,
      String out,
      String changelog,
      String raw,
      int rate,
      int count,
      int warmup,
      short transactionVersion)
      throws Exception {
    // The transformer's producer settings: acks=all, idempotent, one request in flight, no linger
    // (the Java client's default linger.ms is 5 since Kafka 4.0; kafkajs does not linger).
    Properties plainProps = new Properties();
    plainProps.put("bootstrap.servers", brokers);
    plainProps.put("acks", "all");
    plainProps.put("linger.ms", "0");
    plainProps.put("enable.idempotence", "true");
    plainProps.put("max.in.flight.requests.per.connection", "1");
    plainProps.put("key.serializer", StringSerializer.class.getName());
    plainProps.put("value.serializer", StringSerializer.class.getName());
    Properties txnProps = (Properties) plainProps.clone();
    txnProps.put("transactional.id", run);
    ConsumerGroupMetadata group = new ConsumerGroupMetadata(run + "-group");
    List<Double> produceMs = new ArrayList<>();
    List<Double> transactionMs = new ArrayList<>();
    double periodMs = 1000.0 / rate;
    try (KafkaProducer<String, String> plain = new KafkaProducer<>(plainProps);
        KafkaProducer<String, String> txn = new KafkaProducer<>(txnProps)) {
      txn.initTransactions();
      System.err.printf(
          "[bench:txn-floor java] %d of each at %d/s after %d warm-up, transaction.version %d%n",
          count, rate, warmup, transactionVersion);
      for (int i = 0; i < 2 * (count + warmup); i++) {
        long start = System.nanoTime();
        String key = "key-" + i;
        if (i % 2 == 0) {
          plain.send(new ProducerRecord<>(out, key, "v")).get();
          if (i >= 2 * warmup) produceMs.add((System.nanoTime() - start) / 1e6);
        } else {
          txn.beginTransaction();
          txn.send(new ProducerRecord<>(out, key, "v"));
          txn.send(new ProducerRecord<>(changelog, i % PARTITIONS, key, "x"));
          txn.sendOffsetsToTransaction(
              Map.of(new TopicPartition(raw, i % PARTITIONS), new OffsetAndMetadata(i)), group);
          txn.commitTransaction();
          if (i >= 2 * warmup) transactionMs.add((System.nanoTime() - start) / 1e6);
        }
        double elapsed = (System.nanoTime() - start) / 1e6;
        if (elapsed < periodMs) Thread.sleep((long) (periodMs - elapsed));
      }
    }
    System.out.printf(
        Locale.ROOT,
        "{\"broker_transaction_version\":%d,\"produce_acks_all\":%s,\"transaction\":%s}%n",
        transactionVersion,
        summary(produceMs),
        summary(transactionMs));
  }

  /** `{n, p50_ms, p99_ms}` by the nearest-rank method, as the TypeScript side computes them. */
  private static String summary(List<Double> ms) {
    List<Double> sorted = new ArrayList<>(ms);
    Collections.sort(sorted);
    return String.format(
        Locale.ROOT,
        "{\"n\":%d,\"p50_ms\":%.1f,\"p99_ms\":%.1f}",
        sorted.size(),
        percentile(sorted, 50),
        percentile(sorted, 99));
  }

  private static double percentile(List<Double> sorted, int p) {
    int rank = (int) Math.ceil(p / 100.0 * sorted.size());
    return sorted.get(Math.min(sorted.size() - 1, Math.max(0, rank - 1)));
  }
}
