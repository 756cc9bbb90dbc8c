// Command-line options of the benches' Java programs (test/bench/java): `--name value` pairs.
import java.util.HashMap;
import java.util.List;
import java.util.Map;

final class BenchArgs {
  private BenchArgs() {}

  /**
   * `args` as option name → value. Prints `usage` and exits 2 when the pairs do not pair up or an
   * option of `required` is missing.
   */
  static Map<String, String> parse(String[] args, String usage, List<String> required) {
    Map<String, String> opts = new HashMap<>();
    for (int i = 0; i + 1 < args.length; i += 2) opts.put(args[i], args[i + 1]);
    if (args.length % 2 != 0 || !opts.keySet().containsAll(required)) {
      System.err.println("usage: " + usage);
      System.exit(2);
    }
    return opts;
  }

  /** Option `name` as a positive int; prints why and exits 2 when it is not one. */
  static int positive(Map<String, String> opts, String name) {
    try {
      int n = Integer.parseInt(opts.get(name));
      if (n > 0) return n;
    } catch (NumberFormatException e) {
      // Falls through to the usage error.
    }
    System.err.println(name + " must be a positive integer, got " + opts.get(name));
    System.exit(2);
    return 0;
  }
}
