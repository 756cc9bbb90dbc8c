#!/usr/bin/env python3
"""Reads the five NeuronX topics and prints each event as one JSON line.

A downstream consumer in its smallest useful form: confluent-kafka (librdkafka) reading
read_committed, values decoded by the Confluent Avro deserializer through the schema registry's
Confluent-compatible API. It stops on its own after --idle-seconds without a new event or after
--max-events events, so it can run in scripts and CI; a real consumer would loop forever.

Every option also reads an environment variable, named like the pipeline's own settings:
KAFKA_BROKERS, SCHEMA_REGISTRY_URL, TOPIC_PREFIX, GROUP_ID, IDLE_SECONDS, MAX_EVENTS.
"""

import argparse
import json
import os
import signal
import sys
import time
from datetime import datetime, timedelta, timezone
from typing import Any, Optional

from confluent_kafka import Consumer, KafkaError, KafkaException, Message
from confluent_kafka.schema_registry import SchemaRegistryClient
from confluent_kafka.schema_registry.avro import AvroDeserializer
from confluent_kafka.serialization import MessageField, SerializationContext

TOPICS = (
    "neuronx.contact",
    "neuronx.opportunity",
    "neuronx.conversation",
    "neuronx.appointment",
    "neuronx.workflow",
)
EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
ONE_MS = timedelta(milliseconds=1)


def parse_args() -> argparse.Namespace:
    env = os.environ.get
    p = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    p.add_argument("--brokers", default=env("KAFKA_BROKERS", "127.0.0.1:9092"))
    p.add_argument(
        "--registry-url",
        default=env("SCHEMA_REGISTRY_URL", "http://127.0.0.1:8081/apis/ccompat/v7"),
        help="the registry's Confluent-compatible API (Apicurio: <host>/apis/ccompat/v7)",
    )
    p.add_argument("--topic-prefix", default=env("TOPIC_PREFIX", ""))
    p.add_argument("--group-id", default=env("GROUP_ID", "neuronx-example-python"))
    p.add_argument(
        "--idle-seconds",
        type=float,
        default=float(env("IDLE_SECONDS", "10")),
        help="stop after this long without a new event (0: never)",
    )
    p.add_argument(
        "--max-events",
        type=int,
        default=int(env("MAX_EVENTS", "0")),
        help="stop after this many events (0: no limit)",
    )
    return p.parse_args()


def to_json(value: Any) -> Any:
    """The decoded Avro value as plain JSON, in the same shape the Node example prints.

    fastavro gives timestamp-millis fields as datetimes: back to epoch milliseconds, which is what
    the record holds. With return_record_name, a union of records is a (name, record) tuple: it
    becomes {name: record}, the "wrapped" form avsc (and so the Node example) uses.
    """
    if isinstance(value, tuple) and len(value) == 2 and isinstance(value[0], str):
        return {value[0]: to_json(value[1])}
    if isinstance(value, datetime):
        return (value - EPOCH) // ONE_MS
    if isinstance(value, dict):
        return {k: to_json(v) for k, v in value.items()}
    if isinstance(value, list):
        return [to_json(v) for v in value]
    return value


def header(msg: Message, name: str) -> Optional[str]:
    for key, value in msg.headers() or []:
        if key == name:
            return value.decode("utf-8") if value is not None else None
    return None


def main() -> int:
    args = parse_args()
    topics = [args.topic_prefix + t for t in TOPICS]
    # The client's HTTP timeout is off by default: one registry request that never gets an answer
    # would hang the consumer for good (seen once in CI). Time it out and try again instead.
    registry = SchemaRegistryClient({"url": args.registry_url, "timeout": 5})
    # The writer's schema id is in each value; return_record_name keeps the payload's record name,
    # the only way to tell which event type a union branch is.
    deserialize = AvroDeserializer(registry, return_record_name=True)
    consumer = Consumer(
        {
            "bootstrap.servers": args.brokers,
            "group.id": args.group_id,
            # The pipeline writes in transactions and aborts on any failure: read_uncommitted
            # would hand out events that were rolled back (and later written again).
            "isolation.level": "read_committed",
            "auto.offset.reset": "earliest",
            # Offsets are stored only after an event is printed, and committed in the background
            # and at close: a crash repeats events rather than losing them (dedupe on eventId).
            "enable.auto.offset.store": False,
        }
    )

    stopping = False

    def stop(_signum: int, _frame: Any) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)

    last_activity = time.monotonic()

    def on_assign(_consumer: Consumer, partitions: list) -> None:
        # Joining the group takes a moment; the idle clock starts once partitions are ours.
        nonlocal last_activity
        last_activity = time.monotonic()
        print(f"assigned {len(partitions)} partitions", file=sys.stderr, flush=True)

    consumer.subscribe(topics, on_assign=on_assign)
    count = 0
    reason = "signal"
    try:
        while not stopping:
            msg = consumer.poll(0.5)
            if msg is None:
                if args.idle_seconds > 0 and time.monotonic() - last_activity >= args.idle_seconds:
                    reason = f"idle for {args.idle_seconds:g} s"
                    break
                continue
            err = msg.error()
            if err is not None:
                if err.fatal():
                    raise KafkaException(err)
                # Transient (broker down, topic not created yet): librdkafka retries by itself.
                if err.code() != KafkaError._PARTITION_EOF:
                    print(f"kafka: {err}", file=sys.stderr, flush=True)
                continue
            context = SerializationContext(msg.topic(), MessageField.VALUE, msg.headers())
            for attempt in range(1, 6):
                try:
                    value = deserialize(msg.value(), context)
                    break
                except Exception as e:  # noqa: BLE001 - registry timeouts and transport errors
                    if attempt == 5:
                        raise
                    print(f"registry: {e}; retrying", file=sys.stderr, flush=True)
                    time.sleep(0.5 * attempt)
            key = msg.key()
            line = {
                "topic": msg.topic(),
                "partition": msg.partition(),
                "offset": msg.offset(),
                "key": key.decode("utf-8") if key is not None else None,
                "ce_id": header(msg, "ce_id"),
                "value": to_json(value),
            }
            print(json.dumps(line, ensure_ascii=False), flush=True)
            consumer.store_offsets(message=msg)
            count += 1
            last_activity = time.monotonic()
            if args.max_events > 0 and count >= args.max_events:
                reason = f"{args.max_events} events"
                break
    finally:
        consumer.close()  # commits the stored offsets and leaves the group
    print(f"stopped after {count} events ({reason})", file=sys.stderr, flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
