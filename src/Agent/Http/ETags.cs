using Microsoft.Extensions.Primitives;

namespace Agent.Http;

/// <summary>If-None-Match against an ETag (RFC 9110 13.1.2: weak comparison, a list of tags or *).</summary>
public static class ETags
{
    public static bool Match(StringValues ifNoneMatch, string etag)
    {
        foreach (var header in ifNoneMatch)
            foreach (var tag in (header ?? "").Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
                if (tag == "*" || (tag.StartsWith("W/", StringComparison.Ordinal) ? tag[2..] : tag) == etag) return true;
        return false;
    }
}
