namespace Agent.Core.Build;

/// <summary>A build context's content hash, or why it cannot be sent (<see cref="Problem"/>, for a person).</summary>
public sealed record ContextDigest(string? Hash, string? Problem);
