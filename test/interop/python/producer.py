"""confluent-kafka (librdkafka) interop producer for lakegate.

Sends COUNT deterministic records (see test/interop/support.ts expectedRecord) with
enable.idempotence=true and the given compression.type, waits for every delivery report and
writes one line per acknowledged record to OUT: "i<TAB>partition<TAB>offset<TAB>timestamp".

usage: producer.py BOOTSTRAP TOPIC CODEC COUNT OUT [key=value librdkafka overrides...]
exit 0 only if every record was acknowledged without error.
"""
import sys
import time

from importlib.metadata import version

from confluent_kafka import Producer, libversion

PAD_UNIT = "lakegate-"


def key(i: int) -> str:
    return f"k-{i}"


def value(i: int, tag: str) -> str:
    n = (i * 7) % 200
    pad = "".join(PAD_UNIT[j % len(PAD_UNIT)] for j in range(n))
    return f"v-{i}-{tag}-{pad}"


def main() -> int:
    if len(sys.argv) < 6:
        print(__doc__, file=sys.stderr)
        return 64
    bootstrap, topic, codec, count_s, out = sys.argv[1:6]
    count = int(count_s)
    conf = {
        "bootstrap.servers": bootstrap,
        "client.id": "lakegate-interop-python",
        "enable.idempotence": True,
        "compression.type": codec,
    }
    for kv in sys.argv[6:]:
        k, v = kv.split("=", 1)
        conf[k] = v
    print(f"confluent-kafka {version('confluent-kafka')} librdkafka {libversion()[0]} conf={conf}", flush=True)

    errors = []
    acked = {}

    def on_delivery(err, msg, i):
        if err is not None:
            errors.append((i, err))
        else:
            ts_type, ts = msg.timestamp()
            acked[i] = (msg.partition(), msg.offset(), ts)

    def log_error(err):
        # librdkafka error callback: fatal errors (e.g. idempotence) must fail the run
        print(f"error_cb: {err}", file=sys.stderr, flush=True)
        if err.fatal():
            errors.append((-1, err))

    conf["error_cb"] = log_error
    p = Producer(conf)
    start = time.monotonic()
    for i in range(count):
        while True:
            try:
                p.produce(
                    topic,
                    key=key(i).encode(),
                    value=value(i, codec).encode(),
                    headers=[("h", str(i).encode()), ("c", codec.encode())],
                    on_delivery=lambda err, msg, i=i: on_delivery(err, msg, i),
                )
                break
            except BufferError:
                p.poll(0.1)
        p.poll(0)
    remaining = p.flush(90)
    secs = time.monotonic() - start

    with open(out, "w", encoding="utf-8") as f:
        for i in sorted(acked):
            part, off, ts = acked[i]
            f.write(f"{i}\t{part}\t{off}\t{ts}\n")
    print(f"acked={len(acked)} errors={len(errors)} undelivered={remaining} seconds={secs:.2f}", flush=True)
    if errors:
        for i, err in errors[:10]:
            print(f"delivery error for record {i}: {err}", file=sys.stderr)
        return 1
    if remaining or len(acked) != count:
        print(f"not every record was acknowledged ({len(acked)}/{count})", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
