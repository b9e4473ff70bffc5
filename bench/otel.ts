// BENCH_OTEL=1: an OpenTelemetry SDK installed as a host installs it, before
// the plugin registers — a global MeterProvider, here with an in-memory
// exporter collected every second (far more often than a host's 60 s), so the
// benches measure the plugin's metrics recording. Unset: no SDK, the API's no-op.
export const OTEL = process.env.BENCH_OTEL === '1'

/** Installs the SDK when BENCH_OTEL=1; returns its shutdown. */
export async function benchOtel (): Promise<() => Promise<void>> {
  if (!OTEL) return async () => {}
  const { metrics } = await import('@opentelemetry/api')
  const { AggregationTemporality, InMemoryMetricExporter, MeterProvider, PeriodicExportingMetricReader } = await import('@opentelemetry/sdk-metrics')
  const exporter = new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE)
  const provider = new MeterProvider({ readers: [new PeriodicExportingMetricReader({ exporter, exportIntervalMillis: 1000 })] })
  metrics.setGlobalMeterProvider(provider)
  return async () => {
    // Keeps only the last export: the bench runs long enough to pile them up.
    exporter.reset()
    await provider.shutdown()
  }
}
