//! RESP micro-benchmarks: request parsing and reply encoding.
//!
//! Chapter: chapters/02-resp.md
//!
//! Each bench works on bytes already in memory, so it measures the codec
//! alone: no sockets, no command execution. Run with `cargo bench --bench resp`.

use criterion::{black_box, criterion_group, criterion_main, Criterion, Throughput};
use oxidis::resp::reply::{write_bulk, write_integer};
use oxidis::resp::{encode, Limits, Protocol, Reply, RequestParser};

/// Parse every command in `buf` and return how many there were.
fn parse_all(buf: &[u8], limits: &Limits) -> usize {
    let mut parser = RequestParser::new();
    let mut pos = 0;
    let mut count = 0;
    while let Ok(Some(argv)) = parser.next_command(buf, &mut pos, limits) {
        count += argv.len();
        black_box(argv);
    }
    count
}

fn parse(c: &mut Criterion) {
    let limits = Limits::default();
    let mut group = c.benchmark_group("parse");

    let set = b"*3\r\n$3\r\nSET\r\n$16\r\nkey:000000000042\r\n$3\r\nxxx\r\n";
    group.throughput(Throughput::Elements(1));
    group.bench_function("set_multibulk", |b| {
        b.iter(|| parse_all(black_box(set), &limits))
    });

    let mut gets = Vec::new();
    for i in 0..16 {
        gets.extend_from_slice(format!("*2\r\n$3\r\nGET\r\n$16\r\nkey:{i:012}\r\n").as_bytes());
    }
    group.throughput(Throughput::Elements(16));
    group.bench_function("pipelined_16_gets", |b| {
        b.iter(|| parse_all(black_box(&gets), &limits))
    });

    group.throughput(Throughput::Elements(1));
    group.bench_function("inline_ping", |b| {
        b.iter(|| parse_all(black_box(b"PING\r\n"), &limits))
    });
    group.finish();
}

fn encode_replies(c: &mut Criterion) {
    let mut group = c.benchmark_group("encode");
    let mut out = Vec::with_capacity(64 * 1024);

    let value = vec![b'x'; 64];
    group.bench_function("bulk_64B", |b| {
        b.iter(|| {
            out.clear();
            write_bulk(&mut out, black_box(&value));
            out.len()
        })
    });

    group.bench_function("integer", |b| {
        b.iter(|| {
            out.clear();
            write_integer(&mut out, black_box(1_234_567_890));
            out.len()
        })
    });

    let array = Reply::Array(
        (0..100)
            .map(|i| Reply::bulk(format!("member:{i}")))
            .collect(),
    );
    group.throughput(Throughput::Elements(100));
    group.bench_function("array_100_bulks", |b| {
        b.iter(|| {
            out.clear();
            encode(black_box(&array), Protocol::Resp2, &mut out);
            out.len()
        })
    });
    group.finish();
}

criterion_group!(benches, parse, encode_replies);
criterion_main!(benches);
