// The exactly-once verifier's counting: every record read is counted per topic and per event ID
// (its ID header, else its key), with its DLQ reason, where an ID of the --locate-topic topic was
// first read, and where the copies of an ID read more than once in one topic are.

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.header.Header;

final class Counts {
  static final int MAX_COPIES_IDS = 100;
  static final int MAX_COPIES_PER_ID = 10;

  long records;
  final Map<String, Long> perTopic = new LinkedHashMap<>();
  final Map<String, Long> ids = new HashMap<>();
  final Map<String, Map<String, Long>> idsByTopic = new TreeMap<>();
  final Map<String, Long> dlqReasons = new TreeMap<>();
  final Map<String, String> locations = new HashMap<>();
  /** Where each ID was first read per topic; only kept to name the copies of a duplicate. */
  final Map<String, String> firstRead = new HashMap<>();
  final Map<String, List<String>> copies = new LinkedHashMap<>();

  void add(ConsumerRecord<byte[], byte[]> r, Verifier.Options o) {
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
}
