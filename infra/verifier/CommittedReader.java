// The exactly-once verifier's Kafka side: the partitions of the topics, the last stable offsets to
// read up to (waiting for transactions open at start), and the read_committed read from the
// beginning to them, each record handed to Counts. Apache Kafka Java client only.

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ExecutionException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.ListOffsetsOptions;
import org.apache.kafka.clients.admin.ListOffsetsResult.ListOffsetsResultInfo;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.IsolationLevel;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.TopicPartitionInfo;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

final class CommittedReader {
  static String run(Verifier.Options o) throws Exception {
    Properties common = new Properties();
    common.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, o.brokers);
    common.put(AdminClientConfig.CLIENT_ID_CONFIG, "exactly-once-verifier");
    // A broker that is not there should fail the run in seconds, not hang it.
    common.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, "30000");
    common.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, "15000");

    List<TopicPartition> partitions;
    Map<TopicPartition, Long> end;
    List<String> hanging = new ArrayList<>();
    try (Admin admin = Admin.create(common)) {
      partitions = partitionsOf(admin, o.topics);
      end = waitForStableOffsets(admin, partitions, o.waitLsoMs, hanging);
    }

    Properties props = new Properties();
    props.putAll(common);
    props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
    props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
    props.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    props.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, "5000");
    props.put(ConsumerConfig.MAX_PARTITION_FETCH_BYTES_CONFIG, String.valueOf(8 << 20));
    props.put(ConsumerConfig.CLIENT_ID_CONFIG, "exactly-once-verifier-" + UUID.randomUUID());

    Counts counts = new Counts();
    for (String t : o.topics) counts.perTopic.put(t, 0L);
    try (KafkaConsumer<byte[], byte[]> consumer =
        new KafkaConsumer<>(props, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
      consumer.assign(partitions);
      consumer.seekToBeginning(partitions);
      // The consumer's own read_committed end offsets are the LSOs; after the wait they can
      // only be at or past what the admin saw, and reading to them keeps the cut consistent.
      Map<TopicPartition, Long> lso = consumer.endOffsets(partitions, Duration.ofSeconds(30));
      for (TopicPartition tp : partitions) end.put(tp, Math.max(end.get(tp), lso.get(tp)));
      readToEnd(consumer, partitions, end, o, counts);
    }
    return Report.toJson(counts, hanging);
  }

  static List<TopicPartition> partitionsOf(Admin admin, List<String> topics) throws Exception {
    Map<String, TopicDescription> described;
    try {
      described = admin.describeTopics(new HashSet<>(topics)).allTopicNames().get();
    } catch (ExecutionException e) {
      if (e.getCause() instanceof UnknownTopicOrPartitionException)
        throw new Verifier.Exit(
            Verifier.EXIT_USAGE, "a topic does not exist (asked for " + topics + ")");
      throw new Verifier.Exit(
          Verifier.EXIT_USAGE, "cannot describe topics " + topics + ": " + e.getCause());
    }
    List<TopicPartition> out = new ArrayList<>();
    for (String t : topics) {
      TopicDescription d = described.get(t);
      if (d == null)
        throw new Verifier.Exit(Verifier.EXIT_USAGE, "topic " + t + " does not exist");
      for (TopicPartitionInfo p : d.partitions()) {
        TopicPartition tp = new TopicPartition(t, p.partition());
        if (!out.contains(tp)) out.add(tp);
      }
    }
    return out;
  }

  /**
   * The last stable offsets to read up to. A transaction open when the verifier starts holds its
   * partition's LSO below the high watermark; the wait lets such transactions finish, so their
   * records are counted (or not) by their outcome. A partition is settled once its LSO reaches
   * the high watermark seen when the wait began (later transactions do not matter: their records
   * are past the cut anyway). Partitions still short after waitLsoMs go into `hanging`.
   */
  static Map<TopicPartition, Long> waitForStableOffsets(
      Admin admin, List<TopicPartition> partitions, long waitLsoMs, List<String> hanging)
      throws Exception {
    Map<TopicPartition, Long> highWatermark = latest(admin, partitions, IsolationLevel.READ_UNCOMMITTED);
    long deadline = System.currentTimeMillis() + waitLsoMs;
    for (;;) {
      Map<TopicPartition, Long> lso = latest(admin, partitions, IsolationLevel.READ_COMMITTED);
      List<TopicPartition> lagging = new ArrayList<>();
      for (TopicPartition tp : partitions)
        if (lso.get(tp) < highWatermark.get(tp)) lagging.add(tp);
      if (lagging.isEmpty() || System.currentTimeMillis() >= deadline) {
        for (TopicPartition tp : lagging) {
          hanging.add(tp.topic() + "/" + tp.partition());
          System.err.printf(
              "verifier: %s/%d: last stable offset %d still behind the high watermark %d after %d ms (open transaction)%n",
              tp.topic(), tp.partition(), lso.get(tp), highWatermark.get(tp), waitLsoMs);
        }
        return new HashMap<>(lso);
      }
      Thread.sleep(100);
    }
  }

  static Map<TopicPartition, Long> latest(
      Admin admin, Collection<TopicPartition> partitions, IsolationLevel isolation)
      throws Exception {
    Map<TopicPartition, OffsetSpec> spec = new HashMap<>();
    for (TopicPartition tp : partitions) spec.put(tp, OffsetSpec.latest());
    Map<TopicPartition, ListOffsetsResultInfo> info =
        admin.listOffsets(spec, new ListOffsetsOptions(isolation)).all().get();
    Map<TopicPartition, Long> out = new HashMap<>();
    for (TopicPartition tp : partitions) out.put(tp, info.get(tp).offset());
    return out;
  }

  static void readToEnd(
      KafkaConsumer<byte[], byte[]> consumer,
      List<TopicPartition> partitions,
      Map<TopicPartition, Long> end,
      Verifier.Options o,
      Counts counts) {
    long deadline = System.currentTimeMillis() + o.timeoutMs;
    Set<TopicPartition> open = new HashSet<>();
    for (TopicPartition tp : partitions) if (consumer.position(tp) < end.get(tp)) open.add(tp);
    consumer.pause(diff(partitions, open));
    while (!open.isEmpty()) {
      if (System.currentTimeMillis() > deadline) {
        StringBuilder where = new StringBuilder();
        for (TopicPartition tp : open)
          where.append(String.format(
              " %s/%d at %d of %d;", tp.topic(), tp.partition(), consumer.position(tp), end.get(tp)));
        throw new Verifier.Exit(
            Verifier.EXIT_TIMEOUT,
            "timed out after " + o.timeoutMs + " ms before the captured end offsets:" + where);
      }
      ConsumerRecords<byte[], byte[]> batch = consumer.poll(Duration.ofMillis(200));
      for (ConsumerRecord<byte[], byte[]> r : batch) {
        TopicPartition tp = new TopicPartition(r.topic(), r.partition());
        // Records committed after the cut are not part of this snapshot.
        if (r.offset() >= end.get(tp)) continue;
        counts.add(r, o);
      }
      // The position moves past aborted records and transaction markers too, so it (not the
      // last record seen) says when a partition is done.
      List<TopicPartition> finished = new ArrayList<>();
      for (TopicPartition tp : open) if (consumer.position(tp) >= end.get(tp)) finished.add(tp);
      if (!finished.isEmpty()) {
        open.removeAll(finished);
        consumer.pause(finished);
      }
    }
  }

  static List<TopicPartition> diff(List<TopicPartition> all, Set<TopicPartition> minus) {
    List<TopicPartition> out = new ArrayList<>();
    for (TopicPartition tp : all) if (!minus.contains(tp)) out.add(tp);
    return out;
  }
}
