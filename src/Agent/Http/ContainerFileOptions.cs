namespace Agent.Http;

/// <summary>Limits of the container files API (section Agent:Files).</summary>
public sealed class ContainerFileOptions
{
    public const string Section = "Agent:Files";

    /// <summary>The largest file PUT /files writes (raw bytes; a base64 JSON body may be a third larger).</summary>
    public long MaxWriteBytes { get; set; } = 8 * 1024 * 1024;

    /// <summary>The largest archive read to list a folder (the engine sends the folder's whole tree).</summary>
    public long MaxListBytes { get; set; } = 256L * 1024 * 1024;

    /// <summary>The largest engine answer read for GET /changes (about 100 bytes an entry).</summary>
    public long MaxChangesBytes { get; set; } = 32L * 1024 * 1024;

    /// <summary>How long the `rm` behind DELETE /files may run in the container.</summary>
    public TimeSpan DeleteTimeout { get; set; } = TimeSpan.FromSeconds(60);
}
