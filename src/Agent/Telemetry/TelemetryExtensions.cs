using OpenTelemetry.Metrics;

namespace Agent.Telemetry;

public static class TelemetryExtensions
{
    /// <summary>OpenTelemetry metrics, exported in Prometheus format at /metrics.</summary>
    public static WebApplicationBuilder AddAgentTelemetry(this WebApplicationBuilder builder)
    {
        builder.Services.AddSingleton<AgentGauges>();
        builder.Services.AddOpenTelemetry().WithMetrics(metrics => metrics
            .AddMeter(AgentMetrics.MeterName, AgentGauges.MeterName, Engine.EngineMetrics.MeterName, Jobs.JobMetrics.MeterName, Jobs.JobMetrics.GaugeMeterName)
            .AddAspNetCoreInstrumentation()
            .AddRuntimeInstrumentation()
            .AddView("agent.reconcile.duration", new ExplicitBucketHistogramConfiguration
            {
                Boundaries = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
            })
            .AddView("agent.job.duration", new ExplicitBucketHistogramConfiguration { Boundaries = Jobs.JobMetrics.DurationBuckets })
            .AddView("agent.cronjob.start.lateness", new ExplicitBucketHistogramConfiguration { Boundaries = Jobs.JobMetrics.LatenessBuckets })
            .AddPrometheusExporter(options => options.ScrapeResponseCacheDurationMilliseconds = 0));
        return builder;
    }
}
