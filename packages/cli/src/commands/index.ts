// Each command module calls addCommand() when imported; the order here is the order in --help.
import './dump.js';
import './archive.js';
import './export-log.js';
import './prepare.js';
import './verify.js';
import './status.js';
import './find.js';
import './expire.js';
