package lakegate.interop;

import java.nio.charset.StandardCharsets;

/**
 * The deterministic record content shared by every interop client.
 * Must stay identical to expectedRecord() in test/interop/support.ts,
 * test/interop/python/producer.py and test/interop/go/main.go.
 */
final class Records {
  private static final String PAD_UNIT = "lakegate-";

  private Records() {}

  static String key(int i) {
    return "k-" + i;
  }

  /** v-<i>-<tag>-<padding>, padding = PAD_UNIT repeated and cut to (i * 7) % 200 chars. */
  static String value(int i, String tag) {
    int n = (i * 7) % 200;
    StringBuilder sb = new StringBuilder(16 + tag.length() + n);
    sb.append("v-").append(i).append('-').append(tag).append('-');
    for (int j = 0; j < n; j++) sb.append(PAD_UNIT.charAt(j % PAD_UNIT.length()));
    return sb.toString();
  }

  static byte[] utf8(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }
}
