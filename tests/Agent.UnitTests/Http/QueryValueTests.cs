using Agent.Http;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.AspNetCore.Routing.Patterns;
using Microsoft.Extensions.DependencyInjection;

namespace Agent.UnitTests.Http;

/// <summary>probe-41: the Native AOT build's generated binding answers a query value its parameter cannot hold with a bare
/// 400; the value, and what it should be, are named from the route's own parameters as the JIT build's binding does.</summary>
public sealed class QueryValueTests
{
    private static class Handlers
    {
        public static void Logs(string id, int? tail, bool? follow, long? since, string? filter) { }
    }

    private static HttpContext Request(string query)
    {
        var endpoint = new RouteEndpoint(_ => Task.CompletedTask, RoutePatternFactory.Parse("/api/v1/things/{id}/logs"), 0,
            new EndpointMetadataCollection(typeof(Handlers).GetMethod(nameof(Handlers.Logs))!), "logs");
        var http = new DefaultHttpContext { RequestServices = new ServiceCollection().BuildServiceProvider() };
        http.SetEndpoint(endpoint);
        http.Request.QueryString = new QueryString(query);
        return http;
    }

    [Theory]
    [InlineData("?follow=yes", "follow=\"yes\" is not true or false; fix or leave out that query value.")]
    [InlineData("?follow=true&tail=abc", "tail=\"abc\" is not a whole number (e.g. 100); fix or leave out that query value.")]
    [InlineData("?Tail=99999999999999999999", "Tail=\"99999999999999999999\" is out of range: at most 2147483647; fix or leave out that query value.")]
    [InlineData("?since=1.5", "since=\"1.5\" is not a whole number (e.g. 100); fix or leave out that query value.")]
    public void A_value_its_parameter_cannot_hold_is_named_with_what_it_should_be(string query, string expected) =>
        Assert.Equal(expected, QueryKeys.BadValue(Request(query)));

    [Theory]
    [InlineData("?follow=True&tail=-5&since=7&filter=anything")]
    [InlineData("?follow=&tail=")]
    [InlineData("?id=notbound")]
    [InlineData("")]
    public void Values_the_binding_takes_are_no_problem(string query) => Assert.Null(QueryKeys.BadValue(Request(query)));
}
