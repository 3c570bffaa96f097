using Agent.Engine;

namespace Agent.Http;

/// <summary>Limits of POST /containers/{id}/exec (section Agent:Exec).</summary>
public sealed class ExecOptions
{
    public const string Section = "Agent:Exec";

    /// <summary>How much of stdout, and of stderr, an answer carries; the rest is read and counted, not kept.</summary>
    public long MaxOutputBytes { get; set; } = ExecRequest.DefaultMaxOutputBytes;

    /// <summary>Execs one client (a token, or an address without one) may have running at once; one more is 429.</summary>
    public int MaxConcurrentPerClient { get; set; } = 4;

    /// <summary>Execs the agent runs at once, all clients together; one more is 429.</summary>
    public int MaxConcurrent { get; set; } = 16;

    /// <summary>The longest timeoutSeconds an exec may ask for; more (or less than 1) is 400.</summary>
    public int MaxTimeoutSeconds { get; set; } = 3600;
}
