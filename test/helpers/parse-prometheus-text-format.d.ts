// The package ships no types: the shape it returns (prom2json's), as the tests read it.
declare module 'parse-prometheus-text-format' {
  export interface Sample {
    value: string
    labels?: Record<string, string>
  }
  export interface MetricFamily {
    name: string
    help: string
    type: 'COUNTER' | 'GAUGE' | 'HISTOGRAM' | 'SUMMARY' | 'UNTYPED'
    metrics: Sample[]
  }
  export default function parsePrometheusTextFormat (text: string): MetricFamily[]
}
