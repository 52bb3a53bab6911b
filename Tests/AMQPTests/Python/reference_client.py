#!/usr/bin/env python3
"""A reference-style AMQP client for ocrspool's tests, built on pika (PyPI).

It speaks to the broker the way the reference design's programs do:
  produce  publishes image files to java2python as Spring's
           RabbitTemplate.convertAndSend(queue, byte[]) does: default exchange,
           content type application/octet-stream, persistent, priority 0, after
           declaring the queue as Spring's `new Queue(name)` does (durable, not
           exclusive, not auto-delete, no arguments).
  consume  reads python2java as the reference consumer does and prints one JSON
           line per message: the body as text plus the properties ocrspool sets.
  rpc      publishes one image with reply_to (its own exclusive queue) and a
           correlation id, and prints the answer whose correlation id matches.
"""
import argparse
import json
import sys
import time
import uuid

import pika


def connect(url):
    return pika.BlockingConnection(pika.URLParameters(url))


def declare_like_spring(channel, queue):
    channel.queue_declare(queue=queue, durable=True, exclusive=False, auto_delete=False)


def spring_properties(**extra):
    return pika.BasicProperties(
        content_type="application/octet-stream", delivery_mode=2, priority=0, **extra)


def produce(args):
    connection = connect(args.url)
    channel = connection.channel()
    declare_like_spring(channel, args.queue)
    channel.confirm_delivery()
    for path in args.files:
        with open(path, "rb") as image:
            body = image.read()
        headers = {"expected": args.expected} if args.expected else None
        channel.basic_publish(
            exchange="", routing_key=args.queue, body=body,
            properties=spring_properties(headers=headers))
    connection.close()


def describe(properties, body):
    return {
        "body": body.decode("utf-8"),
        "content_type": properties.content_type,
        "correlation_id": properties.correlation_id,
        "message_id": properties.message_id,
        "delivery_mode": properties.delivery_mode,
        "headers": properties.headers or {},
    }


def consume(args):
    connection = connect(args.url)
    channel = connection.channel()
    declare_like_spring(channel, args.queue)
    deadline = time.monotonic() + args.timeout
    seen = 0
    while seen < args.count and time.monotonic() < deadline:
        method, properties, body = channel.basic_get(args.queue, auto_ack=True)
        if method is None:
            connection.sleep(0.05)
            continue
        print(json.dumps(describe(properties, body)), flush=True)
        seen += 1
    connection.close()
    return 0 if seen >= args.count else 1


def rpc(args):
    connection = connect(args.url)
    channel = connection.channel()
    declare_like_spring(channel, args.queue)
    reply_queue = channel.queue_declare(queue="", exclusive=True).method.queue
    correlation = str(uuid.uuid4())
    with open(args.files[0], "rb") as image:
        body = image.read()
    channel.basic_publish(
        exchange="", routing_key=args.queue, body=body,
        properties=spring_properties(reply_to=reply_queue, correlation_id=correlation))
    deadline = time.monotonic() + args.timeout
    while time.monotonic() < deadline:
        method, properties, answer = channel.basic_get(reply_queue, auto_ack=True)
        if method is None:
            connection.sleep(0.05)
            continue
        if properties.correlation_id == correlation:
            described = describe(properties, answer)
            described["sent_correlation_id"] = correlation
            print(json.dumps(described), flush=True)
            connection.close()
            return 0
    connection.close()
    return 1


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("command", choices=["produce", "consume", "rpc"])
    parser.add_argument("--url", required=True)
    parser.add_argument("--queue", required=True)
    parser.add_argument("--count", type=int, default=1)
    parser.add_argument("--timeout", type=float, default=60)
    parser.add_argument("--expected")
    parser.add_argument("files", nargs="*")
    args = parser.parse_intermixed_args()
    command = {"produce": produce, "consume": consume, "rpc": rpc}[args.command]
    return command(args) or 0


if __name__ == "__main__":
    sys.exit(main())
