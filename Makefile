# Xiecha. `make test` and `make dev` each do all of their own set-up on a fresh Debian 12 machine.
.PHONY: test dev bench deps

deps:
	@scripts/ensure-deps.sh

## Runs the whole test suite (schemas, Kafka on the embedded cluster, stores on SQLite and a real PostgreSQL).
test: deps
	@scripts/test.sh

## The main job on the embedded default (see README).
dev: deps
	swift build --product xiecha
	@scripts/dev.sh

## Benchmarks: prints `BENCH <name> <value> <unit>` lines.
bench: deps
	swift build -c release --product xiecha
	swift build -c release --product xiecha-bench
	@mkdir -p Benchmarks/bin
	gcc -O2 -Wall -o Benchmarks/bin/kafka_bench Benchmarks/kafka_bench.c $$(pkg-config --cflags --libs rdkafka)
	@Benchmarks/run.sh
