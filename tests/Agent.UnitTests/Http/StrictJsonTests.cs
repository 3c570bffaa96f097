using System.Text;
using Agent.Http;
using Microsoft.AspNetCore.Http;

namespace Agent.UnitTests.Http;

/// <summary>probe-37: a body of the wrong shape answered with a .NET type name ("...BuildEndpoints+BuildBody") or the
/// reader's advice to programmers ("Change the reader options"); the answer says what the body must be.</summary>
public sealed class StrictJsonTests
{
    private static async Task<string?> ErrorOfAsync(string body)
    {
        var http = new DefaultHttpContext();
        http.Request.ContentType = "application/json";
        http.Request.Body = new MemoryStream(Encoding.UTF8.GetBytes(body));
        var (value, error) = await StrictJson.ReadAsync<BuildEndpoints.BuildBody>(http, CancellationToken.None);
        Assert.Null(value);
        return error;
    }

    [Theory]
    [InlineData("[]")]
    [InlineData("\"tag\"")]
    [InlineData("42")]
    public async Task A_body_that_is_not_an_object_says_so_and_names_the_fields(string body)
    {
        var error = await ErrorOfAsync(body);
        Assert.Equal("the body must be a JSON object with the fields tag, dockerfileInline, buildArgs, target, labels", error);
    }

    [Fact]
    public async Task A_body_nested_too_deep_says_so_without_the_readers_advice()
    {
        var error = await ErrorOfAsync("{\"labels\": " + new string('[', 200) + new string(']', 200) + "}");
        Assert.NotNull(error);
        Assert.DoesNotContain("reader options", error, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("Agent.", error, StringComparison.Ordinal);
        Assert.DoesNotContain("System.", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_field_of_the_wrong_type_is_named_with_its_shape()
    {
        Assert.Equal("labels must be an object of string values, like {\"KEY\": \"value\"}", await ErrorOfAsync("{\"tag\": \"a\", \"labels\": 3}"));
    }
}
