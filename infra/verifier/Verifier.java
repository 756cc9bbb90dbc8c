// An exactly-once verifier that shares no code with kafkajs: it reads topics read_committed with
// the Apache Kafka Java client and counts records by event ID, so the pipeline's guarantees are
// checked by the reference implementation of transactional reads, not by the client under test.
//
// Plain Java 17, no build tool, no dependency beyond kafka-clients (compiled and run by
// infra/verifier/verifier.ts). Usage:
//
//   java -cp <dir>:<kafka classpath> Verifier --brokers HOST:PORT --topic T [--topic T2 ...]
//        [--id-headers ce_id,event-id] [--reason-header dlq-reason]
//        [--timeout-ms 120000] [--wait-lso-ms 0] [--locate-topic T]
//
// Prints one JSON object on stdout:
//   {"records":N,"perTopic":{"<topic>":N},"ids":{"<id>":N},"idsByTopic":{"<topic>":{"<id>":N}},
//    "dlqReasons":{"<reason>":N},"hanging":["<topic>/<partition>"],
//    "locations":{"<id>":"<partition>:<offset>"},
//    "copies":{"<id>":["<topic>/<partition>:<offset>", ...]}}
// `locations` holds, for every ID read from the --locate-topic topic, where it was first read
// (empty without the option): a missing output can then be traced back to its input record.
// `copies` holds, for up to 100 IDs read more than once in one topic, where each of their first 10
// records in that topic is: a duplicate can then be traced to its transactions.
// Exit codes: 0 done, 2 bad arguments or setup failure (unknown topic, broker unreachable),
// 3 the read did not reach the captured end offsets within --timeout-ms.

import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.TreeMap;
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
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

public final class Verifier {
  static final int EXIT_USAGE = 2;
  static final int EXIT_TIMEOUT = 3;

  /** Thrown for a clean exit with a message on stderr. */
  static final class Exit extends RuntimeException {
    private static final long serialVersionUID = 1L;
    final int code;

    Exit(int code, String message) {
      super(message);
      this.code = code;
    }
  }

  static final class Options {
    String brokers;
    final List<String> topics = new ArrayList<>();
    List<String> idHeaders = List.of("ce_id", "event-id");
    String reasonHeader = "dlq-reason";
    long timeoutMs = 120_000;
    long waitLsoMs = 0;
    String locateTopic;
  }

  public static void main(String[] args) {
    // The JSON goes to the real stdout; anything a library prints (logging falls back to the
    // console when misconfigured) goes to stderr, so stdout stays one parseable object.
    PrintStream out = new PrintStream(System.out, false, StandardCharsets.UTF_8);
    System.setOut(System.err);
    try {
      Options o = parse(args);
      String json = run(o);
      out.println(json);
      out.flush();
      System.exit(0);
    } catch (Exit e) {
      System.err.println("verifier: " + e.getMessage());
      System.exit(e.code);
    } catch (Exception e) {
      System.err.println("verifier: failed: " + e);
      e.printStackTrace(System.err);
      System.exit(EXIT_USAGE);
    }
  }

  static Options parse(String[] args) {
    Options o = new Options();
    for (int i = 0; i < args.length; i++) {
      String a = args[i];
      if (i + 1 >= args.length) throw new Exit(EXIT_USAGE, "missing value after " + a);
      String v = args[++i];
      switch (a) {
        case "--brokers" -> o.brokers = v;
        case "--topic" -> o.topics.add(v);
        case "--topics" -> o.topics.addAll(splitList(v));
        case "--id-headers" -> o.idHeaders = splitList(v);
        case "--reason-header" -> o.reasonHeader = v;
        case "--timeout-ms" -> o.timeoutMs = nonNegative(a, v);
        case "--wait-lso-ms" -> o.waitLsoMs = nonNegative(a, v);
        case "--locate-topic" -> o.locateTopic = v;
        default -> throw new Exit(EXIT_USAGE, "unknown option " + a);
      }
    }
    if (o.brokers == null || o.brokers.isEmpty()) throw new Exit(EXIT_USAGE, "--brokers is required");
    if (o.topics.isEmpty()) throw new Exit(EXIT_USAGE, "at least one --topic is required");
    return o;
  }

  static List<String> splitList(String v) {
    List<String> out = new ArrayList<>();
    for (String s : v.split(",")) if (!s.isEmpty()) out.add(s);
    return out;
  }

  static long nonNegative(String name, String v) {
    try {
      long n = Long.parseLong(v);
      if (n >= 0) return n;
    } catch (NumberFormatException ignored) {
      // reported below
    }
    throw new Exit(EXIT_USAGE, name + " needs a non-negative integer, got " + v);
  }

  static String run(Options o) throws Exception {
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
    return counts.toJson(hanging);
  }

  static List<TopicPartition> partitionsOf(Admin admin, List<String> topics) throws Exception {
    Map<String, TopicDescription> described;
    try {
      described = admin.describeTopics(new HashSet<>(topics)).allTopicNames().get();
    } catch (ExecutionException e) {
      if (e.getCause() instanceof UnknownTopicOrPartitionException)
        throw new Exit(EXIT_USAGE, "a topic does not exist (asked for " + topics + ")");
      throw new Exit(EXIT_USAGE, "cannot describe topics " + topics + ": " + e.getCause());
    }
    List<TopicPartition> out = new ArrayList<>();
    for (String t : topics) {
      TopicDescription d = described.get(t);
      if (d == null) throw new Exit(EXIT_USAGE, "topic " + t + " does not exist");
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
      Options o,
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
        throw new Exit(EXIT_TIMEOUT, "timed out after " + o.timeoutMs + " ms before the captured end offsets:" + where);
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

  static final int MAX_COPIES_IDS = 100;
  static final int MAX_COPIES_PER_ID = 10;

  static final class Counts {
    long records;
    final Map<String, Long> perTopic = new LinkedHashMap<>();
    final Map<String, Long> ids = new HashMap<>();
    final Map<String, Map<String, Long>> idsByTopic = new TreeMap<>();
    final Map<String, Long> dlqReasons = new TreeMap<>();
    final Map<String, String> locations = new HashMap<>();
    /** Where each ID was first read per topic; only kept to name the copies of a duplicate. */
    final Map<String, String> firstRead = new HashMap<>();
    final Map<String, List<String>> copies = new LinkedHashMap<>();

    void add(ConsumerRecord<byte[], byte[]> r, Options o) {
      records++;
      perTopic.merge(r.topic(), 1L, Long::sum);
      String id = idOf(r, o.idHeaders);
      if (r.topic().equals(o.locateTopic))
        locations.putIfAbsent(id, r.partition() + ":" + r.offset());
      String at = r.topic() + "/" + r.partition() + ":" + r.offset();
      String first = firstRead.putIfAbsent(r.topic() + '\u0000' + id, at);
      if (first != null) {
        List<String> seen = copies.get(id);
        if (seen == null && copies.size() < MAX_COPIES_IDS) {
          seen = new ArrayList<>();
          seen.add(first);
          copies.put(id, seen);
        }
        if (seen != null && seen.size() < MAX_COPIES_PER_ID) seen.add(at);
      }
      ids.merge(id, 1L, Long::sum);
      idsByTopic.computeIfAbsent(r.topic(), t -> new HashMap<>()).merge(id, 1L, Long::sum);
      Header reason = r.headers().lastHeader(o.reasonHeader);
      if (reason != null && reason.value() != null)
        dlqReasons.merge(utf8(reason.value()), 1L, Long::sum);
    }

    String toJson(List<String> hanging) {
      StringBuilder b = new StringBuilder(64 + ids.size() * 48);
      b.append("{\"records\":").append(records);
      b.append(",\"perTopic\":");
      counts(b, perTopic);
      b.append(",\"ids\":");
      counts(b, ids);
      b.append(",\"idsByTopic\":{");
      boolean first = true;
      for (Map.Entry<String, Map<String, Long>> e : idsByTopic.entrySet()) {
        if (!first) b.append(',');
        first = false;
        string(b, e.getKey());
        b.append(':');
        counts(b, e.getValue());
      }
      b.append("},\"dlqReasons\":");
      counts(b, dlqReasons);
      b.append(",\"hanging\":[");
      for (int i = 0; i < hanging.size(); i++) {
        if (i > 0) b.append(',');
        string(b, hanging.get(i));
      }
      b.append("],\"locations\":{");
      first = true;
      for (Map.Entry<String, String> e : locations.entrySet()) {
        if (!first) b.append(',');
        first = false;
        string(b, e.getKey());
        b.append(':');
        string(b, e.getValue());
      }
      b.append("},\"copies\":{");
      first = true;
      for (Map.Entry<String, List<String>> e : copies.entrySet()) {
        if (!first) b.append(',');
        first = false;
        string(b, e.getKey());
        b.append(":[");
        for (int i = 0; i < e.getValue().size(); i++) {
          if (i > 0) b.append(',');
          string(b, e.getValue().get(i));
        }
        b.append(']');
      }
      return b.append("}}").toString();
    }
  }

  /** The first of `headers` the record carries, else its key, else "(null)"; bytes as UTF-8. */
  static String idOf(ConsumerRecord<byte[], byte[]> r, List<String> headers) {
    for (String h : headers) {
      Header header = r.headers().lastHeader(h);
      if (header != null && header.value() != null) return utf8(header.value());
    }
    return r.key() != null ? utf8(r.key()) : "(null)";
  }

  static String utf8(byte[] bytes) {
    return new String(bytes, StandardCharsets.UTF_8);
  }

  static void counts(StringBuilder b, Map<String, Long> m) {
    b.append('{');
    boolean first = true;
    for (Map.Entry<String, Long> e : m.entrySet()) {
      if (!first) b.append(',');
      first = false;
      string(b, e.getKey());
      b.append(':').append(e.getValue());
    }
    b.append('}');
  }

  /** A JSON string literal (RFC 8259): quotes, backslashes and control characters escaped. */
  static void string(StringBuilder b, String s) {
    b.append('"');
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      switch (c) {
        case '"' -> b.append("\\\"");
        case '\\' -> b.append("\\\\");
        case '\n' -> b.append("\\n");
        case '\r' -> b.append("\\r");
        case '\t' -> b.append("\\t");
        case '\b' -> b.append("\\b");
        case '\f' -> b.append("\\f");
        default -> {
          // Control characters must be escaped; so are lone surrogates (not valid UTF-8 output),
          // which a UTF-8 decode never yields but a caller-built string could.
          boolean loneSurrogate =
              Character.isSurrogate(c)
                  && !(Character.isHighSurrogate(c)
                          && i + 1 < s.length()
                          && Character.isLowSurrogate(s.charAt(i + 1))
                      || Character.isLowSurrogate(c)
                          && i > 0
                          && Character.isHighSurrogate(s.charAt(i - 1)));
          if (c < 0x20 || c == 0x7f || loneSurrogate) b.append(String.format("\\u%04x", (int) c));
          else b.append(c);
        }
      }
    }
    b.append('"');
  }
}
