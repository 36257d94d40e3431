#!/usr/bin/perl
# A learner's server for the port tests of test/cluster (test/support/port-traffic.ts starts
# it), run inside an instance (whose image has perl but no python or node): GET answers a
# small page naming the host, POST echoes its body, and a WebSocket upgrade becomes an echo
# of every text or binary message.
use strict;
use warnings;
use IO::Socket::INET;
use Digest::SHA qw(sha1);
use MIME::Base64 qw(encode_base64);

my $port = shift // 8080;
my $server = IO::Socket::INET->new(LocalAddr => '0.0.0.0', LocalPort => $port, Listen => 64, ReuseAddr => 1) or die "listen: $!";
$SIG{CHLD} = 'IGNORE';
chomp(my $hostname = `hostname`);

while (my $client = $server->accept) {
  next if fork;
  serve($client);
  exit 0;
}

sub read_exact {
  my ($sock, $length) = @_;
  my $data = '';
  while (length($data) < $length) {
    # Buffered read, as the header lines were read: sysread would miss bytes already buffered.
    my $got = read($sock, my $chunk, $length - length($data));
    exit 0 unless $got;
    $data .= $chunk;
  }
  return $data;
}

sub serve {
  my ($sock) = @_;
  my ($request, %headers) = ('');
  while (defined(my $line = <$sock>)) {
    $line =~ s/\r?\n$//;
    last if $line eq '';
    if ($request eq '') { $request = $line; next }
    $headers{lc $1} = $2 if $line =~ /^([^:]+):\s*(.*)$/;
  }
  if (lc($headers{upgrade} // '') eq 'websocket') {
    my $accept = encode_base64(sha1($headers{'sec-websocket-key'} . '258EAFA5-E914-47DA-95CA-C5AB0DC85B11'), '');
    print $sock "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: $accept\r\n\r\n";
    $sock->flush;
    while (1) {
      my ($b1, $b2) = unpack('CC', read_exact($sock, 2));
      my $opcode = $b1 & 0x0f;
      my $length = $b2 & 0x7f;
      $length = unpack('n', read_exact($sock, 2)) if $length == 126;
      $length = unpack('Q>', read_exact($sock, 8)) if $length == 127;
      my $mask = ($b2 & 0x80) ? read_exact($sock, 4) : "\0\0\0\0";
      my $payload = read_exact($sock, $length);
      $payload ^= substr($mask x (int($length / 4) + 1), 0, $length);
      my $header = pack('C', 0x80 | $opcode);
      $header .= $length < 126 ? pack('C', $length) : $length < 65536 ? pack('Cn', 126, $length) : pack('CQ>', 127, $length);
      print $sock $header . $payload;
      $sock->flush;
      exit 0 if $opcode == 8;
    }
  }
  if ($request =~ /^POST /) {
    my $body = read_exact($sock, $headers{'content-length'} // 0);
    print $sock "HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\nContent-Length: " . length($body) . "\r\nConnection: close\r\n\r\n$body";
    return;
  }
  my $page = "<!doctype html><title>$hostname</title><h1>hello from $hostname</h1>\n";
  print $sock "HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: " . length($page) . "\r\nConnection: close\r\n\r\n$page";
}
