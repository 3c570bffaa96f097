using System.Text;
using Agent.Http;
using Microsoft.AspNetCore.Http;

namespace Agent.UnitTests.Http;

/// <summary>probe-37: a body of the wrong shape answered with a .NET type name ("...BuildEndpoints+BuildBody") or the
/// reader's advice to programmers ("Change the reader options"); the answer says what the body must be.</summary>
public sealed class StrictJsonTests
{
    private static async Task<string?> ErrorOfAsync(string body) => (await RefusalOfAsync(body))?.Message;

    private static async Task<FieldError?> RefusalOfAsync(string body)
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
        var error = await RefusalOfAsync("{\"tag\": \"a\", \"labels\": 3}");
        Assert.Equal(new FieldError("labels", 1, 25, "must be an object of string values, like {\"KEY\": \"value\"}"), error);
    }

    /// <summary>probe-38: a bad JSON body of /images/build named no field; its answer lists it, as POST /run's does.</summary>
    [Theory]
    [InlineData("{\"tag\": \"a\",\n \"target\": 5}", "target", 2, 13, "must be a string")]
    [InlineData("{\"tag\": \"a\", \"Tag\": \"b\"}", "Tag", 1, 20, "unknown field \"Tag\"")]
    [InlineData("{\"tag\": \"a\", \"tag\": \"b\"}", "tag", 1, 14, "duplicate field \"tag\"")]
    [InlineData("{\"tag\": }", "tag", 1, 9, "invalid JSON at line 1, column 9")]
    public async Task A_refusal_names_the_field_line_and_column(string body, string field, int line, int column, string message)
    {
        var error = await RefusalOfAsync(body);
        Assert.NotNull(error);
        Assert.Equal((field, line, column), (error.Field, error.Line, error.Column));
        Assert.Contains(message, error.Message);
    }

    /// <summary>probe-39: a body nested 800,000 deep was answered with its path, [0][0]... 300,000 characters, several
    /// times: 4.8 MB. A field's path and a key's name are bounded in the answer.</summary>
    [Theory]
    [InlineData("unclosed")]
    [InlineData("closed")]
    [InlineData("key")]
    public async Task A_deeply_nested_body_or_a_huge_key_gets_a_short_refusal(string shape)
    {
        const int size = 800_000;
        var body = shape switch
        {
            "key" => "{\"" + new string('k', size) + "\": 1}",
            "closed" => "{\"labels\": " + new string('[', size) + new string(']', size) + "}",
            _ => "{\"labels\": " + new string('[', size),
        };
        var error = await RefusalOfAsync(body);
        Assert.NotNull(error);
        Assert.True(error.Field.Length + error.Message.Length < 1000, $"field {error.Field.Length}, message {error.Message.Length} characters");
    }
}
