namespace Agent.Engine;

internal static class ImageReference
{
    /// <summary>Splits "registry:5000/repo:tag" or "repo@sha256:..." into image and tag (or digest).</summary>
    public static (string Image, string Tag) Split(string reference)
    {
        var at = reference.IndexOf('@');
        if (at >= 0) return (reference[..at], reference[(at + 1)..]);
        var colon = reference.LastIndexOf(':');
        var slash = reference.LastIndexOf('/');
        return colon > slash ? (reference[..colon], reference[(colon + 1)..]) : (reference, "latest");
    }
}
