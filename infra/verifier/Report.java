// The exactly-once verifier's report: Counts and the hanging partitions as the one JSON object it
// prints on stdout (format in the header of Verifier.java), strings escaped per RFC 8259.

import java.util.List;
import java.util.Map;

final class Report {
  static String toJson(Counts c, List<String> hanging) {
    StringBuilder b = new StringBuilder(64 + c.ids.size() * 48);
    b.append("{\"records\":").append(c.records);
    b.append(",\"perTopic\":");
    counts(b, c.perTopic);
    b.append(",\"ids\":");
    counts(b, c.ids);
    b.append(",\"idsByTopic\":{");
    boolean first = true;
    for (Map.Entry<String, Map<String, Long>> e : c.idsByTopic.entrySet()) {
      if (!first) b.append(',');
      first = false;
      string(b, e.getKey());
      b.append(':');
      counts(b, e.getValue());
    }
    b.append("},\"dlqReasons\":");
    counts(b, c.dlqReasons);
    b.append(",\"hanging\":[");
    for (int i = 0; i < hanging.size(); i++) {
      if (i > 0) b.append(',');
      string(b, hanging.get(i));
    }
    b.append("],\"locations\":{");
    first = true;
    for (Map.Entry<String, String> e : c.locations.entrySet()) {
      if (!first) b.append(',');
      first = false;
      string(b, e.getKey());
      b.append(':');
      string(b, e.getValue());
    }
    b.append("},\"copies\":{");
    first = true;
    for (Map.Entry<String, List<String>> e : c.copies.entrySet()) {
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
