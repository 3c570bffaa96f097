namespace Agent.Engine;

public static class ImageReference
{
    /// <summary>Where Docker Hub's credentials are keyed, as `docker login` writes them.</summary>
    public const string DockerHub = "docker.io";

    /// <summary>Splits "registry:5000/repo:tag" or "repo@sha256:..." into image and tag (or digest).</summary>
    public static (string Image, string Tag) Split(string reference)
    {
        var at = reference.IndexOf('@');
        if (at >= 0) return (reference[..at], reference[(at + 1)..]);
        var colon = reference.LastIndexOf(':');
        var slash = reference.LastIndexOf('/');
        return colon > slash ? (reference[..colon], reference[(colon + 1)..]) : (reference, "latest");
    }

    /// <summary>The registry host of a reference, by Docker's rule: the first path component is a registry when it has a
    /// '.' or ':' or is "localhost"; otherwise the image is on Docker Hub.</summary>
    public static string Registry(string reference)
    {
        var slash = reference.IndexOf('/');
        if (slash < 0) return DockerHub;
        var first = reference[..slash];
        return first.Contains('.') || first.Contains(':') || first == "localhost" ? first : DockerHub;
    }

    /// <summary>A configured server ("https://index.docker.io/v1/", "http://localhost:5000/", "LOCALHOST:5000") as the
    /// registry host a reference names.</summary>
    public static string NormalizeServer(string server)
    {
        var s = server.Trim();
        var scheme = s.IndexOf("://", StringComparison.Ordinal);
        if (scheme >= 0) s = s[(scheme + 3)..];
        var slash = s.IndexOf('/');
        if (slash >= 0) s = s[..slash];
        s = s.ToLowerInvariant();
        return s is "index.docker.io" or "registry-1.docker.io" or "registry.hub.docker.com" ? DockerHub : s;
    }
}
