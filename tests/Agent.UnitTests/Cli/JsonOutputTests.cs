using System.Text.Json;
using Agent.Cli;
using Agent.Cli.Client;

namespace Agent.UnitTests.Cli;

/// <summary>probe-65: `-o json` wrote a time as `2026-12-07T22:15:55\u002B00:00`. The CLI prints text, not HTML.</summary>
public sealed class JsonOutputTests
{
    [Fact]
    public void The_cli_prints_json_text_as_it_is_without_html_escapes()
    {
        var element = JsonDocument.Parse("""{"since":"2026-12-07T22:15:55+00:00","message":"it's <ready> & \"up\"","name":"café"}""").RootElement;
        var printed = ClientCommand.Format(element, "json");
        Assert.Contains("\"since\": \"2026-12-07T22:15:55+00:00\"", printed);
        Assert.Contains("\"message\": \"it's <ready> & \\\"up\\\"\"", printed);
        Assert.Contains("\"name\": \"café\"", printed);
        Assert.Equal(element.GetRawText().Length > 0, JsonDocument.Parse(printed).RootElement.GetProperty("name").GetString() == "café"); // still JSON
        Assert.Contains("+00:00", JsonSerializer.Serialize(element, CliJson.Info<JsonElement>(CliJson.Options)));
    }
}
