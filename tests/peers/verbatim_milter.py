#!/usr/bin/python3
"""verbatim_milter.py SOCKET -- makes the test Postfix answer some recipients verbatim (postfix.sh with PF_MILTER=1).

Postfix prefixes access-map texts with "<rcpt>: Recipient address rejected:"; replies set by a milter go out
as written, multi-line ones included, as big providers send them. SOCKET: unix:/path or inet:PORT@127.0.0.1.
Runs under Debian's /usr/bin/python3 with python3-milter (scripts/setup.sh installs it)."""
import sys

import Milter

# recipient -> (code, enhanced code, line, line, ...)
VERBATIM = {
    # a large provider's disabled-account reply: multi-line, the text on the first line
    "<gone@alpha.test>": ("550", "5.2.1", "The email account that you tried to reach is disabled. Learn more at",
                          "https://support.example/mail/?p=DisabledUser x1si123 - gsmtp"),
    # the same words under a code that says nothing about the mailbox
    "<closed@alpha.test>": ("550", "5.0.0", "The email account that you tried to reach is disabled"),
    # single-line verbatim "no such user"
    "<ghost@alpha.test>": ("550", "5.1.1", "The email account that you tried to reach does not exist."),
}


class Verbatim(Milter.Base):
    def envrcpt(self, to, *params):
        r = VERBATIM.get(to.lower())
        if r is None:
            return Milter.CONTINUE
        self.setreply(*r)
        return Milter.REJECT if r[0][0] == "5" else Milter.TEMPFAIL


if __name__ == "__main__":
    Milter.factory = Verbatim
    Milter.runmilter("prebounce-verbatim", sys.argv[1], 10)
