// An OpenTelemetry SDK for one test: a MeterProvider with the in-memory
// exporter, set as the global one (as a host installs it), and the points it
// collects, flattened to { name, attributes, value }.
import type { Test } from 'tap'
import { metrics } from '@opentelemetry/api'
import {
  AggregationTemporality,
  DataPointType,
  InMemoryMetricExporter,
  MeterProvider,
  PeriodicExportingMetricReader
} from '@opentelemetry/sdk-metrics'

export interface Point {
  instrument: string
  unit: string
  attributes: Record<string, unknown>
  /** A counter's or gauge's value; a histogram's count and sum. */
  value: number | { count: number; sum: number }
}

export interface OtelSdk {
  /** Every point collected now (by default cumulative since the provider was installed). */
  collect(): Promise<Point[]>
}

export function installOtelSdk (t: Test, temporality = AggregationTemporality.CUMULATIVE): OtelSdk {
  const exporter = new InMemoryMetricExporter(temporality)
  // Exports only when flushed: the test decides when a collection happens.
  const reader = new PeriodicExportingMetricReader({ exporter, exportIntervalMillis: 3_600_000 })
  const provider = new MeterProvider({ readers: [reader] })
  metrics.disable()
  metrics.setGlobalMeterProvider(provider)
  t.teardown(async () => {
    metrics.disable()
    await provider.shutdown()
  })
  return {
    async collect () {
      exporter.reset()
      await reader.forceFlush()
      const points: Point[] = []
      for (const resource of exporter.getMetrics()) {
        for (const scope of resource.scopeMetrics) {
          for (const metric of scope.metrics) {
            for (const point of metric.dataPoints) {
              const value = metric.dataPointType === DataPointType.HISTOGRAM
                ? { count: (point.value as { count: number }).count, sum: (point.value as { sum: number }).sum }
                : point.value as number
              points.push({ instrument: metric.descriptor.name, unit: metric.descriptor.unit, attributes: { ...point.attributes }, value })
            }
          }
        }
      }
      return points
    }
  }
}

/** The value of the one point of `instrument` with these attributes; undefined when there is none. */
export function valueOf (points: Point[], instrument: string, attributes: Record<string, unknown>): Point['value'] | undefined {
  const found = points.filter((p) => p.instrument === instrument && sameAttributes(p.attributes, attributes))
  if (found.length > 1) throw new Error(`${found.length} points of ${instrument} with ${JSON.stringify(attributes)}`)
  return found[0]?.value
}

function sameAttributes (a: Record<string, unknown>, b: Record<string, unknown>): boolean {
  const keys = Object.keys(a)
  return keys.length === Object.keys(b).length && keys.every((k) => a[k] === b[k])
}
