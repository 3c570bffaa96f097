using Agent.Engine;

namespace Agent.Http;

/// <summary>Limits of POST /containers/{id}/exec (section Agent:Exec).</summary>
public sealed class ExecOptions
{
    public const string Section = "Agent:Exec";

    /// <summary>How much of stdout, and of stderr, an answer carries; the rest is read and counted, not kept.</summary>
    public long MaxOutputBytes { get; set; } = ExecRequest.DefaultMaxOutputBytes;
}
