// franz-go interop producer for lakegate.
//
// Creates TOPIC with kadm (CreateTopics, -partitions partitions, replication factor 1;
// franz-go does not auto-create topics by default and we keep that default), then produces
// COUNT deterministic records (see test/interop/support.ts expectedRecord) with the kgo
// client's DEFAULT producer settings (acks=all, idempotent, snappy), waits for every
// acknowledgement and writes one line per acknowledged record to OUT:
// "i<TAB>partition<TAB>offset<TAB>timestamp".
//
// usage: franz-producer -brokers HOST:PORT -topic T -count N -out FILE [-partitions 3]
// exit 0 only if every record was acknowledged without error.
package main

import (
	"bufio"
	"context"
	"flag"
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"
)

const padUnit = "lakegate-"

func key(i int) string { return "k-" + strconv.Itoa(i) }

func value(i int, tag string) string {
	n := (i * 7) % 200
	var b strings.Builder
	b.WriteString("v-" + strconv.Itoa(i) + "-" + tag + "-")
	for j := 0; j < n; j++ {
		b.WriteByte(padUnit[j%len(padUnit)])
	}
	return b.String()
}

type ack struct {
	ok        bool
	partition int32
	offset    int64
	timestamp int64
}

func main() {
	brokers := flag.String("brokers", "", "bootstrap HOST:PORT")
	topic := flag.String("topic", "", "topic to create and produce to")
	count := flag.Int("count", 10000, "records to produce")
	out := flag.String("out", "", "file receiving one line per acknowledged record")
	partitions := flag.Int("partitions", 3, "partitions of the created topic")
	tag := flag.String("tag", "franz", "tag placed in record values and the c header")
	timeout := flag.Duration("timeout", 90*time.Second, "overall deadline")
	flag.Parse()
	if *brokers == "" || *topic == "" || *out == "" {
		flag.Usage()
		os.Exit(64)
	}
	ctx, cancel := context.WithTimeout(context.Background(), *timeout)
	defer cancel()

	cl, err := kgo.NewClient(kgo.SeedBrokers(*brokers), kgo.ClientID("lakegate-interop-franz"))
	if err != nil {
		fmt.Fprintln(os.Stderr, "new client:", err)
		os.Exit(2)
	}
	defer cl.Close()

	adm := kadm.NewClient(cl)
	created, err := adm.CreateTopic(ctx, int32(*partitions), 1, nil, *topic)
	if err != nil {
		fmt.Fprintf(os.Stderr, "kadm CreateTopic %s: %v (%s)\n", *topic, err, created.ErrMessage)
		os.Exit(2)
	}
	fmt.Printf("created topic %s id=%s partitions=%d rf=%d\n", created.Topic, created.ID, created.NumPartitions, created.ReplicationFactor)

	start := time.Now()
	acks := make([]ack, *count)
	var mu sync.Mutex
	var errs []string
	var wg sync.WaitGroup
	for i := 0; i < *count; i++ {
		i := i
		r := &kgo.Record{
			Topic: *topic,
			Key:   []byte(key(i)),
			Value: []byte(value(i, *tag)),
			Headers: []kgo.RecordHeader{
				{Key: "h", Value: []byte(strconv.Itoa(i))},
				{Key: "c", Value: []byte(*tag)},
			},
		}
		wg.Add(1)
		cl.Produce(ctx, r, func(r *kgo.Record, err error) {
			defer wg.Done()
			if err != nil {
				mu.Lock()
				errs = append(errs, fmt.Sprintf("record %d: %v", i, err))
				mu.Unlock()
				return
			}
			acks[i] = ack{true, r.Partition, r.Offset, r.Timestamp.UnixMilli()}
		})
	}
	wg.Wait()
	secs := time.Since(start).Seconds()

	pid, epoch, pidErr := cl.ProducerID(ctx)
	fmt.Printf("producer id=%d epoch=%d err=%v\n", pid, epoch, pidErr)

	f, err := os.Create(*out)
	if err != nil {
		fmt.Fprintln(os.Stderr, "create out:", err)
		os.Exit(4)
	}
	w := bufio.NewWriter(f)
	n := 0
	for i, a := range acks {
		if !a.ok {
			continue
		}
		n++
		fmt.Fprintf(w, "%d\t%d\t%d\t%d\n", i, a.partition, a.offset, a.timestamp)
	}
	if err := w.Flush(); err != nil {
		fmt.Fprintln(os.Stderr, "write out:", err)
		os.Exit(4)
	}
	f.Close()
	fmt.Printf("acked=%d errors=%d seconds=%.2f\n", n, len(errs), secs)
	if len(errs) > 0 {
		for j, e := range errs {
			if j == 10 {
				break
			}
			fmt.Fprintln(os.Stderr, "produce error:", e)
		}
		os.Exit(1)
	}
	if n != *count {
		fmt.Fprintf(os.Stderr, "not every record was acknowledged (%d/%d)\n", n, *count)
		os.Exit(1)
	}
	if pidErr != nil || pid < 0 {
		// franz-go silently falls back to a non-idempotent producer when InitProducerId is
		// missing; the default is idempotent, so insist on getting a producer id.
		fmt.Fprintf(os.Stderr, "producer is not idempotent: id=%d err=%v\n", pid, pidErr)
		os.Exit(1)
	}
}
