package lakegate.interop;

import java.io.BufferedWriter;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Paths;
import java.time.Duration;
import java.util.Properties;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/**
 * Sends COUNT deterministic records with the DEFAULT producer configuration (idempotent,
 * acks=all) plus compression.type, waits for every acknowledgement and writes one line per
 * acknowledged record to OUT: "i<TAB>partition<TAB>offset<TAB>timestamp".
 *
 * usage: Producer BOOTSTRAP TOPIC CODEC COUNT OUT [key=value producer overrides...]
 * exit 0 only if every record was acknowledged without error.
 */
public final class Producer {
  public static void main(String[] args) throws Exception {
    if (args.length < 5) {
      System.err.println("usage: Producer BOOTSTRAP TOPIC CODEC COUNT OUT [key=value...]");
      System.exit(64);
    }
    String bootstrap = args[0];
    String topic = args[1];
    String codec = args[2];
    int count = Integer.parseInt(args[3]);
    String out = args[4];

    Properties props = new Properties();
    props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    props.put(ProducerConfig.COMPRESSION_TYPE_CONFIG, codec);
    props.put(ProducerConfig.CLIENT_ID_CONFIG, "lakegate-interop-java");
    for (int a = 5; a < args.length; a++) {
      int eq = args[a].indexOf('=');
      props.put(args[a].substring(0, eq), args[a].substring(eq + 1));
    }

    final int[] partitions = new int[count];
    final long[] offsets = new long[count];
    final long[] timestamps = new long[count];
    final boolean[] acked = new boolean[count];
    final AtomicInteger errors = new AtomicInteger();
    final AtomicReference<Exception> firstError = new AtomicReference<>();
    final CountDownLatch done = new CountDownLatch(count);

    long start = System.nanoTime();
    KafkaProducer<byte[], byte[]> producer =
        new KafkaProducer<>(props, new ByteArraySerializer(), new ByteArraySerializer());
    System.out.println("producer config: enable.idempotence="
        + props.getOrDefault("enable.idempotence", "(default)") + " acks="
        + props.getOrDefault("acks", "(default)") + " compression.type=" + codec);
    try {
      for (int i = 0; i < count; i++) {
        final int idx = i;
        ProducerRecord<byte[], byte[]> rec = new ProducerRecord<>(topic,
            Records.utf8(Records.key(i)), Records.utf8(Records.value(i, codec)));
        rec.headers().add("h", Records.utf8(Integer.toString(i)));
        rec.headers().add("c", Records.utf8(codec));
        producer.send(rec, (md, ex) -> {
          if (ex != null) {
            errors.incrementAndGet();
            firstError.compareAndSet(null, ex);
          } else {
            partitions[idx] = md.partition();
            offsets[idx] = md.offset();
            timestamps[idx] = md.timestamp();
            acked[idx] = true;
          }
          done.countDown();
        });
      }
      producer.flush();
      if (!done.await(60, TimeUnit.SECONDS)) {
        System.err.println("timed out waiting for callbacks; outstanding=" + done.getCount());
        System.exit(3);
      }
    } finally {
      producer.close(Duration.ofSeconds(20));
    }
    double secs = (System.nanoTime() - start) / 1e9;

    int ok = 0;
    try (BufferedWriter w = Files.newBufferedWriter(Paths.get(out), StandardCharsets.UTF_8)) {
      for (int i = 0; i < count; i++) {
        if (!acked[i]) continue;
        ok++;
        w.write(i + "\t" + partitions[i] + "\t" + offsets[i] + "\t" + timestamps[i] + "\n");
      }
    } catch (IOException e) {
      System.err.println("cannot write " + out + ": " + e);
      System.exit(4);
    }
    System.out.printf("acked=%d errors=%d seconds=%.2f%n", ok, errors.get(), secs);
    if (errors.get() > 0 || ok != count) {
      Exception e = firstError.get();
      System.err.println("first send error: " + e);
      if (e != null) e.printStackTrace();
      System.exit(1);
    }
    System.exit(0);
  }
}
