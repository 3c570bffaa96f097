using System.Diagnostics.Metrics;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;

namespace Agent.Telemetry;

public static class TelemetryExtensions
{
    /// <summary>Series one stream of an instrument may hold when its labels have a small fixed set of values (kind, result,
    /// operation, state, reason: agent_engine_calls_total has the most, about 36 operations x 3 results). The SDK
    /// allocates a stream's whole table up front (72 bytes a series), and ASP.NET Core and the runtime add about 50
    /// instruments: at the SDK's default of 2,000 that was 144 KiB a stream, 8.6 MiB of idle heap.</summary>
    public const int BoundedCardinality = 256;

    /// <summary>Instruments with a label whose values come from the user (a route, a CronJob or GitRepository name, an
    /// exception type) keep the SDK's default of 2,000 series.</summary>
    private static readonly HashSet<string> OpenLabelInstruments = new(StringComparer.Ordinal)
    {
        "http.server.request.duration", "aspnetcore.routing.match_attempts", "aspnetcore.diagnostics.exceptions",
        "agent.cronjob.next_run", "agent.source.last_sync.timestamp", "agent.job.runs", "agent.cronjob.missed",
    };

    /// <summary>agent_object_condition has a series per condition of every object: about 4 per object, so 2,000 objects.</summary>
    public const int ObjectConditionCardinality = 8_192;

    /// <summary>OpenTelemetry metrics, exported in Prometheus format at /metrics.</summary>
    public static WebApplicationBuilder AddAgentTelemetry(this WebApplicationBuilder builder)
    {
        builder.Services.AddSingleton<AgentGauges>();
        builder.Services.AddOpenTelemetry()
            .ConfigureResource(resource => resource.AddService("agent")) // target_info said unknown_service:dotnet (probe-65)
            .WithMetrics(metrics => metrics
            .AddMeter(AgentMetrics.MeterName, AgentGauges.MeterName, Engine.EngineMetrics.MeterName, Jobs.JobMetrics.MeterName, Jobs.JobMetrics.GaugeMeterName)
            .AddAspNetCoreInstrumentation()
            .AddRuntimeInstrumentation()
            // One view for every instrument: the SDK makes one stream per matching view, so a second view would double a metric.
            .AddView(Stream)
            .AddPrometheusExporter(options => options.ScrapeResponseCacheDurationMilliseconds = 0));
        return builder;
    }

    internal static MetricStreamConfiguration? Stream(Instrument instrument)
    {
        double[]? boundaries = instrument.Name switch
        {
            "agent.reconcile.duration" => [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
            "agent.job.duration" => Jobs.JobMetrics.DurationBuckets,
            "agent.cronjob.start.lateness" => Jobs.JobMetrics.LatenessBuckets,
            _ => null,
        };
        if (boundaries is not null) return new ExplicitBucketHistogramConfiguration { Boundaries = boundaries, CardinalityLimit = BoundedCardinality };
        if (instrument.Name == "agent.object.condition") return new MetricStreamConfiguration { CardinalityLimit = ObjectConditionCardinality };
        return OpenLabelInstruments.Contains(instrument.Name) ? null : new MetricStreamConfiguration { CardinalityLimit = BoundedCardinality };
    }
}
