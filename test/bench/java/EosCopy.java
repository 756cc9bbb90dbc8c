// The exactly-once reference of `npm run bench:e2e`: a consume -> produce copy of one topic to
// another in Kafka transactions, written with Apache Kafka's own Java client the way its docs
// describe exactly-once v2 (KIP-447): one transactional producer, a read_committed consumer, and
// per poll one transaction holding the poll's records and the consumer's offsets, committed with
// the consumer's group metadata. No decoding, no schema registry, no dedup: what exactly-once
// costs on this broker when nothing else does, measured like the transformer and the passthrough.
//
// retry.backoff.ms (both clients) comes from --retry-backoff-ms. With the client's default, 100 ms,
// the copy's p99 at 200/s was 136-185 ms against 51 ms with 5 ms: its debug log showed about 2% of
// TxnOffsetCommit requests answered CONCURRENT_TRANSACTIONS (the previous transaction's markers
// still being written) and retried after the back-off. The bench passes 5 ms, this client at its
// best rather than its default.
//
// Usage: EosCopy --brokers HOST:PORT --input TOPIC --output TOPIC --group GROUP --retry-backoff-ms N
// Runs until SIGTERM, then closes its clients (the JVM then exits 143, as after any SIGTERM). Progress and errors go to stderr; exits 1 on a Kafka
// failure (a fenced producer included), 2 on a bad command line.
import java.time.Duration;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.CountDownLatch;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;

public final class EosCopy {
  public static void main(String[] args) throws Exception {
    Map<String, String> opts =
        BenchArgs.parse(
            args,
            "EosCopy --brokers HOST:PORT --input TOPIC --output TOPIC --group GROUP"
                + " --retry-backoff-ms N",
            List.of("--brokers", "--input", "--output", "--group", "--retry-backoff-ms"));
    Properties c = new Properties();
    c.put("bootstrap.servers", opts.get("--brokers"));
    c.put("group.id", opts.get("--group"));
    c.put("isolation.level", "read_committed");
    c.put("enable.auto.commit", "false");
    c.put("auto.offset.reset", "earliest");
    // As the passthrough's kafkajs consumer (maxWaitTimeInMs 100).
    c.put("fetch.max.wait.ms", "100");
    c.put("retry.backoff.ms", opts.get("--retry-backoff-ms"));
    c.put("key.deserializer", ByteArrayDeserializer.class.getName());
    c.put("value.deserializer", ByteArrayDeserializer.class.getName());
    Properties p = new Properties();
    p.put("bootstrap.servers", opts.get("--brokers"));
    p.put("transactional.id", opts.get("--group") + "-eos-copy");
    p.put("acks", "all");
    p.put("linger.ms", "0");
    p.put("retry.backoff.ms", opts.get("--retry-backoff-ms"));
    p.put("key.serializer", ByteArraySerializer.class.getName());
    p.put("value.serializer", ByteArraySerializer.class.getName());
    String output = opts.get("--output");

    KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(c);
    KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(p);
    CountDownLatch closed = new CountDownLatch(1);
    Runtime.getRuntime()
        .addShutdownHook(
            new Thread(
                () -> {
                  consumer.wakeup();
                  try {
                    closed.await();
                  } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                  }
                }));
    long transactions = 0;
    int exitCode = 0;
    try {
      producer.initTransactions();
      consumer.subscribe(
          List.of(opts.get("--input")),
          new ConsumerRebalanceListener() {
            @Override
            public void onPartitionsAssigned(Collection<TopicPartition> partitions) {
              // bench:e2e waits for this line before it sends load.
              System.err.println("[eos-copy] assigned " + partitions.size() + " partitions");
            }

            @Override
            public void onPartitionsRevoked(Collection<TopicPartition> partitions) {}
          });
      System.err.println("[eos-copy] running");
      for (; ; ) {
        ConsumerRecords<byte[], byte[]> records = consumer.poll(Duration.ofMillis(100));
        if (records.isEmpty()) continue;
        producer.beginTransaction();
        Map<TopicPartition, OffsetAndMetadata> offsets = new HashMap<>();
        for (ConsumerRecord<byte[], byte[]> r : records) {
          producer.send(new ProducerRecord<>(output, null, r.key(), r.value(), r.headers()));
          offsets.put(
              new TopicPartition(r.topic(), r.partition()), new OffsetAndMetadata(r.offset() + 1));
        }
        producer.sendOffsetsToTransaction(offsets, consumer.groupMetadata());
        producer.commitTransaction();
        transactions++;
      }
    } catch (WakeupException stopping) {
      System.err.println("[eos-copy] stopping after " + transactions + " transactions");
    } catch (Exception e) {
      System.err.println("[eos-copy] failed after " + transactions + " transactions: " + e);
      exitCode = 1;
    } finally {
      producer.close(Duration.ofSeconds(5));
      consumer.close(Duration.ofSeconds(5));
      closed.countDown();
    }
    // After the latch: the shutdown hook waits on it, so exiting before it would never return.
    if (exitCode != 0) System.exit(exitCode);
  }
}
