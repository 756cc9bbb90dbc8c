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
//
// The classes, compiled together (infra/verifier/verifier.ts compiles every .java file here):
// Verifier (this file) the command line and main; CommittedReader the offsets to read up to and
// the read_committed read; Counts the per-ID counting; Report the JSON it prints.

import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

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
      String json = CommittedReader.run(o);
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
}
