# The "web" upstream: busybox httpd on 8080 with a CGI that reports what reached it (method, query, headers, body
# size), one that answers only after 30 s, and one that sends its headers at once and its body only after 30 s.
mkdir -p /www/cgi-bin
echo ok > /www/index.html
cat > /www/cgi-bin/echo <<'CGI'
#!/bin/sh
printf 'Content-Type: text/plain\r\n\r\n'
head -c "${CONTENT_LENGTH:-0}" > /tmp/body
echo "method=$REQUEST_METHOD"
echo "query=$QUERY_STRING"
echo "auth=$HTTP_AUTHORIZATION"
echo "hop=$HTTP_X_HOP"
echo "xff=$HTTP_X_FORWARDED_FOR"
echo "xfproto=$HTTP_X_FORWARDED_PROTO"
echo "xfhost=$HTTP_X_FORWARDED_HOST"
echo "xfprefix=$HTTP_X_FORWARDED_PREFIX"
echo "bytes=$(wc -c < /tmp/body)"
echo "body=$(head -c 100 /tmp/body)"
CGI
printf '#!/bin/sh\nsleep 30\nprintf "Content-Type: text/plain\\r\\n\\r\\nlate\\n"\n' > /www/cgi-bin/slow
printf '#!/bin/sh\nprintf "Content-Type: text/plain\\r\\n\\r\\n"\nsleep 30\necho late\n' > /www/cgi-bin/stall
chmod +x /www/cgi-bin/echo /www/cgi-bin/slow /www/cgi-bin/stall
exec httpd -f -p 8080 -h /www
