namespace Agent.Http;

public static class AgentEndpoints
{
    /// <summary>Maps every HTTP area of the agent.</summary>
    public static WebApplication MapAgentEndpoints(this WebApplication app)
    {
        app.MapProbeEndpoints();
        app.MapPrometheusScrapingEndpoint("/metrics");
        return app;
    }
}
