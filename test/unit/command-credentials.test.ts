import { expect } from 'chai';
import { forEachCommand, type Command } from '../../src/objects/commands.ts';
import { newBudget } from '../../src/objects/expand.ts';
import { containerTexts, type ScannedText } from '../../src/objects/texts.ts';
import { compileCredentialSettings, findCredentials } from '../../src/policy/credentials.ts';
import { credentialFileFormat, credentialPositions, type CredentialPosition } from '../../src/recognize/command-credentials.ts';
import { sqlPasswords } from '../../src/recognize/sql.ts';
import { namespace, pod } from '../helpers/objects.ts';
import { catalogOf, judgeCreate } from '../helpers/policy.ts';

// Planted secrets are assembled at run time so this file holds no scanner-tripping literal.
const PW = ['Xq7', 'vLm2', '9pz'].join('');
/** A password that looks like a host: it must never be shown as one. */
const HOSTY = ['summer', '2024', '.io'].join('');
const B64 = Buffer.from(`deploy:${PW}`).toString('base64');

const settings = compileCredentialSettings({ sensitiveNames: [], extraPatterns: [] });
const textsOf = (command: string[], args: string[] = []): ScannedText[] =>
  containerTexts({ name: 'c', list: 'containers', index: 0, container: { name: 'c', command, args }, path: 'spec.containers[0]', pointer: '/spec/containers/0' }, newBudget()).texts;
const sh = (script: string): ScannedText[] => textsOf(['sh', '-c', script]);
const found = (texts: ScannedText[]): string[] => findCredentials(texts, settings).map((f) => `${f.path}: ${f.what}`);

/** Every position of a script, as `value (literal?)`. */
function positions(script: string): CredentialPosition[] {
  const out: CredentialPosition[] = [];
  forEachCommand([{ value: 'sh' }, { value: '-c' }, { value: script }], (c: Command) => credentialPositions(c, settings, (p) => out.push(p)), { comments: true });
  return out;
}

// One row per program and form. Each was missed before the program table (or reads a form
// the program accepts that the old table did not).
const positives: [string, (pw: string) => string][] = [
  // keytool: every password option
  ...['-storepass', '-keypass', '-srcstorepass', '-deststorepass', '-srckeypass', '-destkeypass'].map((f): [string, (pw: string) => string] =>
    [`keytool ${f}`, (pw) => `keytool -importkeystore -srckeystore a.p12 ${f} ${pw} -destkeystore k.jks`]),
  ['keytool -storepasswd -new', (pw) => `keytool -storepasswd -keystore k.jks -storepass:env OLD -new ${pw}`],
  // openssl
  ['openssl -passout pass:', (pw) => `openssl pkcs12 -export -in c.pem -passout pass:${pw} -out c.p12`],
  ['openssl -passin pass:', (pw) => `openssl rsa -in k.pem -passin pass:${pw} -out k2.pem`],
  ['openssl enc -pass pass:', (pw) => `openssl enc -aes-256-cbc -pass pass:${pw} -in a -out b`],
  ['openssl enc -k', (pw) => `openssl enc -d -aes-256-cbc -k ${pw} -in a -out b`],
  ['openssl passwd', (pw) => `useradd -m -p "$(openssl passwd -6 ${pw})" app`],
  // redis
  ['redis-server --requirepass', (pw) => `redis-server /etc/redis.conf --requirepass ${pw}`],
  ['redis-server --masterauth', (pw) => `redis-server --replicaof primary 6379 --masterauth ${pw}`],
  ['redis-cli CONFIG SET requirepass', (pw) => `redis-cli -h redis CONFIG SET requirepass ${pw}`],
  ['redis-cli config set masterauth (lower case)', (pw) => `redis-cli config set masterauth ${pw}`],
  ['redis-cli --user u --pass', (pw) => `redis-cli --user app --pass ${pw} ping`],
  ['redis-cli --pass=', (pw) => `redis-cli --pass=${pw} ping`],
  ['redis-cli AUTH user pw', (pw) => `redis-cli -h redis AUTH app ${pw}`],
  // database clients
  ['sqlcmd -P', (pw) => `sqlcmd -S db -U sa -P ${pw} -Q "SELECT 1"`],
  ['sqlcmd -P glued', (pw) => `/opt/mssql-tools/bin/sqlcmd -S db -U sa -P${pw}`],
  ['bcp -P', (pw) => `bcp db.dbo.t out t.dat -S db -U sa -P ${pw} -c`],
  ['mysql --password=', (pw) => `mysql --password=${pw} -h db shop`],
  ['mysqladmin -pX', (pw) => `mysqladmin -uroot -p${pw} status`],
  ['mongosh -p', (pw) => `mongosh mongodb://db/app -u app -p ${pw}`],
  // cloud and storage tools
  ['az login -p', (pw) => `az login --service-principal -u 0000-app -p ${pw} --tenant t`],
  ['az login --client-secret', (pw) => `az login --service-principal --username app --client-secret ${pw} --tenant t`],
  ['mc alias set', (pw) => `mc alias set minio http://minio:9000 admin ${pw}`],
  ['mc config host add', (pw) => `mc config host add minio http://minio:9000 admin ${pw}`],
  ['rabbitmqctl add_user', (pw) => `rabbitmqctl add_user app ${pw}`],
  ['rabbitmqctl change_password', (pw) => `rabbitmqctl change_password guest ${pw}`],
  ['vault write secret_id=', (pw) => `vault write auth/approle/login role_id=abc secret_id=${pw}`],
  ['vault write password=', (pw) => `vault write auth/userpass/users/app password=${pw} policies=app`],
  ['vault login TOKEN', (pw) => `vault login ${pw}`],
  ['vault login -method=userpass password=', (pw) => `vault login -method=userpass username=app password=${pw}`],
  ['vault operator unseal KEY', (pw) => `vault operator unseal ${pw}`],
  ['kubectl --from-literal=password=', (pw) => `kubectl create secret generic db --from-literal=password=${pw}`],
  ['kubectl --from-literal KEY=VALUE', (pw) => `kubectl create secret generic db --from-literal api-token=${pw}`],
  // logins and file shares
  ['sshpass -p', (pw) => `sshpass -p ${pw} ssh app@bastion uptime`],
  ['sshpass -pX', (pw) => `sshpass -p${pw} scp f app@bastion:/tmp`],
  ['SSHPASS=x sshpass -e', (pw) => `SSHPASS=${pw} sshpass -e ssh app@bastion`],
  ['smbclient -U user%pw', (pw) => `smbclient //fs/share -U svc%${pw} -c ls`],
  ['smbclient --user=user%pw', (pw) => `smbclient //fs/share --user=svc%${pw}`],
  ['mount -o username=,password=', (pw) => `mount -t cifs //fs/share /mnt -o username=svc,password=${pw},vers=3.0`],
  ['mount.cifs -o pass=', (pw) => `mount.cifs //fs/share /mnt -o user=svc,pass=${pw}`],
  ['lftp -u user,pw', (pw) => `lftp -u svc,${pw} -e 'mirror /out /data; quit' ftp.internal`],
  ['ncftpput -p', (pw) => `ncftpput -u svc -p ${pw} ftp.internal /in file`],
  ['ldapsearch -w', (pw) => `ldapsearch -x -D cn=admin,dc=x -w ${pw} -b dc=x`],
  ['ldapsearch -wX', (pw) => `ldapsearch -x -D cn=admin,dc=x -w${pw} -b dc=x`],
  ['wget --password=', (pw) => `wget --user=svc --password=${pw} https://files.internal/a`],
  ['curl -u user:pw', (pw) => `curl -u svc:${pw} https://api.internal/`],
  ['curl --user=user:pw', (pw) => `curl --user=svc:${pw} https://api.internal/`],
  ['curl -U proxy user:pw', (pw) => `curl -U svc:${pw} -x proxy.internal:3128 https://api.internal/`],
  // archives and keys
  ['unzip -P', (pw) => `unzip -P ${pw} bundle.zip`],
  ['zip -P', (pw) => `zip -P ${pw} -r bundle.zip dir`],
  ['7z -pX', (pw) => `7z x -p${pw} bundle.7z`],
  ['gpg --passphrase', (pw) => `gpg --batch --passphrase ${pw} -d f.gpg`],
  ['docker login -p', (pw) => `docker login -u ci -p ${pw} registry.internal`],
  ['docker --config DIR login -p', (pw) => `docker --config /tmp/cfg login -u ci -p ${pw} registry.internal`],
  ['htpasswd -b', (pw) => `htpasswd -bc /etc/nginx/.htpasswd admin ${pw}`],
  ['PGPASSWORD=x psql', (pw) => `PGPASSWORD=${pw} psql -h db -U app`],
  ['the generic rule: a flag named as a credential', (pw) => `app --db-password ${pw}`],
  // standard input
  ['echo | docker login --password-stdin', (pw) => `echo ${pw} | docker login -u ci --password-stdin registry.internal`],
  ['printf | podman login --password-stdin', (pw) => `printf '%s' '${pw}' | podman login -u ci --password-stdin registry.internal`],
  ['echo | helm registry login --password-stdin', (pw) => `echo "${pw}" | helm registry login registry.internal -u ci --password-stdin`],
  ['echo | oras login --password-stdin', (pw) => `echo ${pw} | oras login -u ci --password-stdin registry.internal`],
  ['echo | crane auth login --password-stdin', (pw) => `echo ${pw} | crane auth login registry.internal -u ci --password-stdin`],
  ['echo | skopeo login --password-stdin', (pw) => `echo ${pw} | skopeo login -u ci --password-stdin registry.internal`],
  ['a here-string into docker login', (pw) => `docker login -u ci --password-stdin registry.internal <<< "${pw}"`],
  ['echo | gh auth login --with-token', (pw) => `echo ${pw} | gh auth login --with-token`],
  ["echo 'root:x' | chpasswd", (pw) => `echo 'root:${pw}' | chpasswd`],
  ["printf 'root:x' | chpasswd", (pw) => `printf 'app:%s\\n' '${pw}' | chpasswd`],
  ['a here-document into chpasswd', (pw) => `chpasswd <<EOF\napp:${pw}\nEOF`],
  ['echo -n | vault login -', (pw) => `echo -n ${pw} | vault login -`],
  ['echo | sudo -S', (pw) => `echo ${pw} | sudo -S apt-get update`],
  ['echo | passwd --stdin', (pw) => `echo ${pw} | passwd --stdin app`],
  ['echo | docker secret create NAME -', (pw) => `echo ${pw} | docker secret create db_pw -`],
  // files written by scripts
  ['echo > ~/.netrc', (pw) => `echo 'machine git.internal login ci password ${pw}' > ~/.netrc`],
  ['printf >> $HOME/.netrc', (pw) => `printf 'machine %s login %s password %s\\n' git.internal ci '${pw}' >> $HOME/.netrc`],
  ['echo | tee ~/.netrc', (pw) => `echo "machine git.internal login ci password ${pw}" | tee ~/.netrc >/dev/null`],
  ['echo > ~/.pgpass', (pw) => `echo 'db:5432:app:app:${pw}' > ~/.pgpass && chmod 600 ~/.pgpass`],
  ['a here-document into ~/.pgpass', (pw) => `cat > ~/.pgpass <<EOF\ndb:5432:*:app:${pw}\nEOF`],
  ['.npmrc _authToken', (pw) => `echo "//registry.npmjs.org/:_authToken=${pw}" > ~/.npmrc`],
  ['.npmrc _auth', (pw) => `echo "_auth=${B64}${pw.slice(0, 0)}" >> .npmrc`],
  ['.git-credentials', (pw) => `echo "https://ci:${pw}@git.internal" > ~/.git-credentials`],
  ['.my.cnf here-document (<<-, quoted)', (pw) => `cat <<-'EOF' > ~/.my.cnf\n\t[client]\n\tuser=app\n\tpassword=${pw}\n\tEOF`],
  ['.pypirc', (pw) => `cat > ~/.pypirc <<EOF\n[pypi]\nusername = __token__\npassword = ${pw}\nEOF`],
  ['~/.docker/config.json auth', (pw) => `echo '{"auths":{"registry.internal":{"auth":"${Buffer.from(`ci:${pw}`).toString('base64')}"}}}' > ~/.docker/config.json`],
  ['a script written by a here-document (its lines are read)', (pw) => `cat > /app/run.sh <<'EOF'\n#!/bin/sh\nexec mysql -uroot -p${pw} shop\nEOF\nsh /app/run.sh`],
  ['/kaniko/.docker/config.json here-document', (pw) => `cat > /kaniko/.docker/config.json <<EOF\n{"auths": {"registry.internal": {"auth": "${Buffer.from(`ci:${pw}`).toString('base64')}"}}}\nEOF`],
  // SQL and mongosh
  ['psql -c ALTER USER … PASSWORD', (pw) => `psql -h db -c "ALTER USER app WITH PASSWORD '${pw}'"`],
  ['psql -c CREATE ROLE … ENCRYPTED PASSWORD', (pw) => `psql -c "CREATE ROLE app LOGIN ENCRYPTED PASSWORD '${pw}'"`],
  ['mysql -e IDENTIFIED BY', (pw) => `mysql -uroot -e "CREATE USER 'app'@'%' IDENTIFIED BY '${pw}'"`],
  ['mysql -e IDENTIFIED WITH plugin BY', (pw) => `mysql -e "ALTER USER 'root'@'localhost' IDENTIFIED WITH mysql_native_password BY '${pw}';"`],
  ['mysql -e SET PASSWORD = PASSWORD()', (pw) => `mysql -e "SET PASSWORD FOR 'app'@'%' = PASSWORD('${pw}')"`],
  ['sqlcmd -Q CREATE LOGIN', (pw) => `sqlcmd -S db -E -Q "CREATE LOGIN app WITH PASSWORD = '${pw}'"`],
  ['mongosh --eval createUser', (pw) => `mongosh --eval "db.createUser({user: 'app', pwd: '${pw}', roles: ['readWrite']})"`],
  ['mongosh --eval auth', (pw) => `mongosh admin --eval "db.auth('root', '${pw}')"`],
  ['mongosh --eval changeUserPassword', (pw) => `mongosh --eval 'db.changeUserPassword("app", "${pw}")'`],
  ['a here-document into psql', (pw) => `psql -h db <<'SQL'\nCREATE USER app;\nALTER USER app PASSWORD '${pw}';\nSQL`],
  ['a here-string into mysql', (pw) => `mysql -uroot <<< "ALTER USER root IDENTIFIED BY '${pw}'"`],
  ['echo | psql', (pw) => `echo "CREATE ROLE app PASSWORD '${pw}'" | psql`],
  // headers
  ['curl -H X-Auth-Token', (pw) => `curl -H 'X-Auth-Token: ${pw}' https://api.internal/`],
  ['curl -H PRIVATE-TOKEN', (pw) => `curl --header "PRIVATE-TOKEN: ${pw}" https://gitlab.internal/api/v4/projects`],
  ['curl -H apikey', (pw) => `curl -H "apikey: ${pw}" https://api.internal/`],
  ['curl -H Authorization Basic', (pw) => `curl -H "Authorization: Basic ${pw}" https://api.internal/`],
  ['wget --header=', (pw) => `wget --header="X-Api-Token: ${pw}" https://api.internal/`],
  ['httpie Name:value', (pw) => `http GET api.internal/items X-Api-Token:${pw}`],
];

// Ordinary configurations that must stay allowed: references, prompts, files, settings.
const negatives: [string, string][] = [
  ['keytool -storepass:env', 'keytool -importkeystore -srckeystore a.p12 -storepass:env STOREPASS -destkeystore k.jks'],
  ['keytool -storepass:file', 'keytool -list -keystore k.jks -storepass:file /run/secrets/storepass'],
  ["keytool -cacerts with the JDK's published default", 'keytool -importcert -noprompt -cacerts -storepass changeit -alias ca -file /ca.pem'],
  ['openssl -passout env:', 'openssl pkcs12 -export -in c.pem -passout env:PW -out c.p12'],
  ['openssl -passin file:, -passout stdin, fd:', 'openssl rsa -passin file:/run/pw -passout stdin -in k.pem && openssl rsa -passin fd:3 -in k.pem'],
  ['openssl passwd: the salt is not the password', 'openssl passwd -6 -salt saltsalt "$PW"'],
  ['openssl enc -kfile', 'openssl enc -d -aes-256-cbc -kfile /run/k -in a -out b'],
  ['redis-server --requirepass "$REDIS_PASSWORD"', 'redis-server --requirepass "$REDIS_PASSWORD"'],
  ['redis-cli config set of a setting', 'redis-cli -h redis config set maxmemory 100mb'],
  ['mysql -p (prompt)', 'mysql -p'],
  ['mysql -p then a flag and a database', 'mysql -p -h db shop'],
  ['mysql --password then a database (prompt)', 'mysql --password shop'],
  ['mysql -p"$MYSQL_PWD"', 'mysql -uroot -p"$MYSQL_PWD" shop'],
  ['docker login --password-stdin < file', 'docker login -u ci --password-stdin registry.internal < /run/secrets/pw'],
  ['cat file | docker login --password-stdin', 'cat /run/secrets/pw | docker login -u ci --password-stdin registry.internal'],
  ['printf "$TOKEN" | gh auth login', 'printf "%s" "$TOKEN" | gh auth login --with-token'],
  ['echo "$PW" | chpasswd', 'echo "$PW" | chpasswd'],
  ['echo "root:${ROOT_PW}" | chpasswd', 'echo "root:${ROOT_PW}" | chpasswd'],
  ['chpasswd -e takes hashes', "echo 'app:$6$salt$hash' | chpasswd -e"],
  ["psql PASSWORD :'pw'", `psql -v pw="$PW" -c "ALTER USER x WITH PASSWORD :'pw'"`],
  ['psql PASSWORD NULL', 'psql -c "ALTER ROLE app PASSWORD NULL"'],
  ["PASSWORD '${PW}' in a double-quoted script", `echo "CREATE USER u WITH PASSWORD '\${PW}';" | psql`],
  ['SQL that names a password column', 'psql -c "CREATE TABLE users (id int, password text)"; mysql -e "SELECT user, password FROM mysql.user"'],
  ['mongosh passwordPrompt()', `mongosh --eval "db.createUser({user: 'u', pwd: passwordPrompt(), roles: []})"`],
  ['mount -o credentials=file', 'mount -t cifs //fs/share /mnt -o username=svc,credentials=/etc/creds'],
  ["curl -H 'Authorization: Bearer $(cat token)'", "curl -H 'Authorization: Bearer $(cat /var/run/secrets/token)' https://api.internal/"],
  ['curl -H Content-Type', "curl -H 'Content-Type: application/json' -H 'Accept: */*' -d '{}' https://api.internal/"],
  ['httpie Content-Type and data', 'http POST api.internal/items Content-Type:application/json name=x'],
  ['rabbitmqctl add_user "$U" "$P"', 'rabbitmqctl add_user "$U" "$P"'],
  ['mc alias set with variables', 'mc alias set minio http://minio:9000 "$MINIO_ACCESS_KEY" "$MINIO_SECRET_KEY"'],
  ['kubectl --from-file=password=', 'kubectl create secret generic x --from-file=password=/run/pw'],
  ['kubectl --from-literal of a setting', 'kubectl create configmap x --from-literal=log_level=debug'],
  ['vault login -method=userpass password=-', 'vault login -method=userpass username=u password=-'],
  ['vault write of settings', 'vault write auth/approle/role/app token_ttl=1h secret_id_ttl=24h'],
  ['cat > ~/.pgpass with a variable', 'cat > ~/.pgpass <<EOF\ndb:5432:app:u:${PGPW}\nEOF'],
  ['a here-document to an ordinary file', 'cat > /etc/app.conf <<EOF\nlog_level=debug\nEOF'],
  ['a log line through tee', 'echo started | tee -a /var/log/app.log'],
  ['7z -p (prompt)', '7z x -p bundle.7z'],
  ['gpg --passphrase-fd 0 < file', 'gpg --batch --passphrase-fd 0 -d f.gpg < /run/pw'],
  ['sudo -S without input', 'sudo -S apt-get update < /dev/null'],
  ['smbclient -U user (prompt) and -N', 'smbclient //fs/share -U svc -c ls; smbclient -N -L fs'],
  ['curl -u user (prompt)', 'curl -u svc https://api.internal/'],
  ['docker login -p "$(cat file)"', 'docker login -u ci -p "$(cat /run/pw)" registry.internal'],
];

describe('credentials on command lines, read as each program reads them', () => {
  describe('finds', () => {
    for (const [what, script] of positives) {
      it(what, () => {
        const f = found(sh(script(PW)));
        expect(f, script('<pw>')).to.have.length(1);
        expect(f[0]).to.match(/^spec\.containers\[0\]\.command\[2\]: /);
        expect(JSON.stringify(f)).not.to.contain(PW);
      });
    }
  });

  describe('leaves alone', () => {
    for (const [what, script] of negatives) it(what, () => { expect(found(sh(script)), script).to.deep.equal([]); });
  });

  describe('reads argv words as the program does, without a shell', () => {
    const rows: [string, string[], string][] = [
      ['keytool', ['keytool', '-list', '-keystore', 'k.jks', '-storepass', PW], 'spec.containers[0].command[5]'],
      ['openssl', ['openssl', 'req', '-new', '-key', 'k.pem', '-passin', `pass:${PW}`], 'spec.containers[0].command[6]'],
      ['redis-server', ['redis-server', '--requirepass', PW], 'spec.containers[0].command[2]'],
      ['mount -o', ['mount', '-o', `username=svc,password=${PW}`, '//fs/share', '/mnt'], 'spec.containers[0].command[2]'],
      ['curl -H', ['curl', '-H', `PRIVATE-TOKEN: ${PW}`, 'https://gitlab.internal/'], 'spec.containers[0].command[2]'],
    ];
    for (const [what, argv, path] of rows) it(what, () => { expect(found(textsOf(argv))).to.deep.equal([`${path}: ${found(textsOf(argv))[0]!.split(': ')[1]}`]); });
  });

  describe('through wrappers (one per family)', () => {
    const rows: [string, string[]][] = [
      ['exec', ['sh', '-c', `exec keytool -list -keystore k.jks -storepass ${PW}`]],
      ['tini --', ['tini', '--', 'redis-server', '--requirepass', PW]],
      ['dumb-init', ['dumb-init', 'openssl', 'pkcs12', '-export', '-passout', `pass:${PW}`]],
      ['timeout 30 sshpass -p', ['timeout', '30', 'sshpass', '-p', PW, 'ssh', 'app@bastion']],
      ['gosu user', ['gosu', 'app', 'rabbitmqctl', 'add_user', 'app', PW]],
      ['env NAME=value', ['env', 'LANG=C', 'sqlcmd', '-S', 'db', '-P', PW]],
    ];
    for (const [what, argv] of rows) it(what, () => { expect(found(textsOf(argv))).to.have.length(1); });
  });

  describe('lists every credential position, literal or not', () => {
    const rows: [string, string, string, boolean][] = [
      ['a keytool password', `keytool -list -storepass ${PW}`, PW, true],
      ['a reference in a position', 'redis-server --requirepass "$REDIS_PASSWORD"', '$REDIS_PASSWORD', false],
      ['an openssl pass:', `openssl rsa -passin pass:${HOSTY}`, HOSTY, true],
      ['a mount option', `mount -o user=svc,password=${HOSTY} //fs/s /mnt`, HOSTY, true],
      ['a .netrc line', `echo 'machine h login u password ${HOSTY}' > ~/.netrc`, HOSTY, true],
      ['a SQL literal', `psql -c "ALTER USER x PASSWORD '${HOSTY}'"`, HOSTY, true],
      ['an unexpanded SQL variable', `echo "ALTER USER x PASSWORD '\${PW}'" | psql`, '${PW}', false],
      ['stdin of a password-stdin login', `echo ${HOSTY} | docker login --password-stdin`, HOSTY, true],
      ['a header value', `curl -H 'X-Auth-Token: ${HOSTY}' https://a.internal`, HOSTY, true],
      ['a sensitive assignment', `DB_PASSWORD=${HOSTY} app`, HOSTY, true],
    ];
    for (const [what, script, value, literal] of rows) {
      it(what, () => {
        const p = positions(script).find((x) => x.value === value);
        expect(p, JSON.stringify(positions(script).map((x) => x.value))).to.not.equal(undefined);
        expect(p!.literal).to.equal(literal);
      });
    }
    // Time on such inputs is measured by `npm run bench -- worst` (sh-c-netrc-heredoc...), not here.
    it('reads a bounded number of secrets from a large credential file', () => {
      const body = `machine h login u password ${PW}\n`.repeat(50_000);
      const p = positions(`cat > ~/.netrc <<'EOF'\n${body}EOF`);
      expect(p.length).to.be.greaterThan(0);
      expect(p.length).to.be.below(200);
    });
    it('says nothing of ordinary words', () => {
      expect(positions('curl -fsS https://api.internal/health && nginx -g "daemon off;"')).to.deep.equal([]);
    });
  });

  describe('never echoes a value in a credential position, and never shows it as a host', () => {
    const catalog = catalogOf([namespace('shop', 'enforce')]);
    const judged = (script: string): string => JSON.stringify(judgeCreate(pod({ namespace: 'shop', containers: [{ name: 'app', command: ['sh', '-c', script] }] }), catalog).verdict);
    const rows: [string, (v: string) => string][] = [
      ['keytool -storepass', (v) => `keytool -list -keystore k.jks -storepass ${v}`],
      ['openssl -passout pass:', (v) => `openssl pkcs12 -export -passout pass:${v}`],
      ['redis-cli CONFIG SET', (v) => `redis-cli CONFIG SET requirepass ${v}`],
      ['mount -o password=', (v) => `mount -t cifs -o username=svc,password=${v} //fs/share /mnt`],
      ['smbclient -U user%pw', (v) => `smbclient //fs/share -U svc%${v}`],
      ['lftp -u user,pw', (v) => `lftp -u svc,${v} ftp.internal`],
      ['curl -u user:pw', (v) => `curl -u svc:${v} https://api.internal/`],
      ['.netrc', (v) => `echo 'machine git.internal login ci password ${v}' > ~/.netrc`],
      ['.netrc here-document', (v) => `cat <<EOF >> ~/.netrc\nmachine git.internal\nlogin ci\npassword ${v}\nEOF`],
      ['.pgpass here-document', (v) => `cat > ~/.pgpass <<EOF\ndb:5432:app:u:${v}\nEOF`],
      ['.git-credentials', (v) => `echo "https://ci:${v}@git.internal" > ~/.git-credentials`],
      ['SQL PASSWORD', (v) => `psql -c "ALTER USER x PASSWORD '${v}'"`],
      ['SQL IDENTIFIED BY in a here-document', (v) => `mysql <<EOF\nCREATE USER a IDENTIFIED BY '${v}';\nEOF`],
      ['mongosh pwd', (v) => `mongosh --eval "db.createUser({user:'a', pwd:'${v}', roles:[]})"`],
      ['echo | docker login --password-stdin', (v) => `echo ${v} | docker login -u ci --password-stdin`],
      ["echo 'root:x' | chpasswd", (v) => `echo 'root:${v}' | chpasswd`],
      ['cat of a here-document into docker login', (v) => `cat <<EOF | docker login -u ci --password-stdin registry.internal\n${v}\nEOF`],
      ['cat of a here-document into psql', (v) => `cat <<'SQL' | psql\nALTER USER app PASSWORD '${v}';\nSQL`],
      ['a here-string into vault login -', (v) => `vault login - <<< ${v}`],
      ['curl -H X-Auth-Token', (v) => `curl -H 'X-Auth-Token: ${v}' https://api.internal/`],
      ['httpie header', (v) => `http api.internal/x X-Api-Token:${v}`],
      ['a sensitive assignment', (v) => `export API_TOKEN=${v}`],
      ['a generic credential flag', (v) => `app --db-password=${v}`],
    ];
    it('a here-document still shows the hosts its text reaches', () => {
      const partner = ['partner', '-exfil', '.com'].join('');
      const verdict = judged(`cat > /etc/nginx/conf.d/x.conf <<EOF\nserver { location / { proxy_pass https://${partner}; } }\nEOF\nexec nginx`);
      expect(verdict).to.contain(`reaches undeclared external host \\"${partner}\\"`);
      const piped = judged(`cat <<EOF | tee /etc/nginx/conf.d/x.conf\nserver { location / { proxy_pass https://${partner}; } }\nEOF`);
      expect(piped, 'read by the command the here-document is piped into').to.contain(`reaches undeclared external host \\"${partner}\\"`);
    });
    for (const [what, script] of rows) {
      it(what, () => {
        for (const v of [HOSTY, `https://${HOSTY}`, `${HOSTY}:443`]) {
          const verdict = judged(script(v));
          expect(verdict, script('<value>')).not.to.contain(HOSTY);
        }
      });
    }
  });
});

describe('SQL and mongosh password statements (src/recognize/sql.ts)', () => {
  const literal = (text: string): string[] => sqlPasswords(text).filter((p) => p.literal).map((p) => p.value);
  const rows: [string, string][] = [
    ['PostgreSQL CREATE USER … WITH PASSWORD', `CREATE USER app WITH LOGIN PASSWORD '${PW}' VALID UNTIL 'infinity';`],
    ['PostgreSQL ALTER ROLE … UNENCRYPTED PASSWORD', `alter role app unencrypted password '${PW}'`],
    ['MySQL IDENTIFIED BY with a doubled quote', `CREATE USER IF NOT EXISTS 'app'@'%' IDENTIFIED BY 'x''${PW}'; CREATE USER b IDENTIFIED BY '${PW}'`],
    ['MySQL IDENTIFIED WITH quoted plugin BY', `ALTER USER 'u'@'%' IDENTIFIED WITH 'caching_sha2_password' BY "${PW}"`],
    ['MySQL 5 GRANT … IDENTIFIED BY', `GRANT ALL ON app.* TO 'app'@'%' IDENTIFIED BY '${PW}';`],
    ['Oracle IDENTIFIED BY a bare word', `CREATE USER app IDENTIFIED BY ${PW} DEFAULT TABLESPACE users;`],
    ['SET PASSWORD = literal', `SET PASSWORD = '${PW}';`],
    ['SET PASSWORD FOR = OLD_PASSWORD()', `SET PASSWORD FOR 'u'@'h' = OLD_PASSWORD('${PW}')`],
    ['SQL Server CREATE LOGIN with N prefix', `CREATE LOGIN app WITH PASSWORD = N'${PW}', CHECK_POLICY = OFF`],
    ['SQL Server ALTER LOGIN OLD_PASSWORD', `ALTER LOGIN app WITH PASSWORD = 'Zz9${PW}' OLD_PASSWORD = '${PW}'`],
    ['Cassandra CREATE ROLE', `CREATE ROLE app WITH PASSWORD = '${PW}' AND LOGIN = true;`],
    ['mongosh createUser in another db', `db.getSiblingDB("admin").createUser({ user: "app", pwd: "${PW}", roles: [ "root" ] })`],
    ['mongosh updateUser', `db.updateUser("app", { pwd: '${PW}' })`],
    ['mongosh auth with an object', `db.auth({ user: 'app', pwd: '${PW}' })`],
  ];
  for (const [what, text] of rows) it(what, () => { expect(literal(text)).to.include(PW); });

  const none: [string, string][] = [
    ['PASSWORD NULL', 'ALTER ROLE app PASSWORD NULL'],
    ["psql's :'var'", "ALTER USER x WITH PASSWORD :'pw'"],
    ['a parameter', 'ALTER USER x WITH PASSWORD $1'],
    ['an unexpanded shell variable', "CREATE USER x PASSWORD '${PW}'"],
    ['a hash after IDENTIFIED BY PASSWORD and AS', "GRANT USAGE ON *.* TO u IDENTIFIED BY PASSWORD '*6C8989366EAF75BB670AD8EA7A7FC1176A95CEF4'; ALTER USER u IDENTIFIED WITH mysql_native_password AS '*6C89'"],
    ['a password column', 'CREATE TABLE users (name text, password text); SELECT password FROM users'],
    ['a flag named password', `app --password 'x' && echo 'CREATE USER done'`],
    ['passwordPrompt()', "db.createUser({user: 'u', pwd: passwordPrompt(), roles: []})"],
    ['prose', 'Remember to change the password after the first login.'],
  ];
  for (const [what, text] of none) it(`not: ${what}`, () => { expect(literal(text)).to.deep.equal([]); });

  // Time on long and adversarial texts is measured by `npm run bench -- worst` (sh-c-sql-*).
  it('answers long and adversarial texts with a bounded list', () => {
    const big = `CREATE USER a PASSWORD ${"'".repeat(50_000)} ${'db.auth('.repeat(20_000)} ${'identified with '.repeat(20_000)}`;
    expect(sqlPasswords(big).length).to.be.at.most(64);
    expect(sqlPasswords('create user '.repeat(100_000))).to.deep.equal([]);
  });

  it('finds the statement in any text, such as an init variable', () => {
    const texts = containerTexts({ name: 'c', list: 'containers', index: 0, container: { name: 'c', env: [{ name: 'INIT_SQL', value: `CREATE USER app WITH PASSWORD '${PW}';` }] }, path: 'spec.containers[0]', pointer: '/spec/containers/0' }, newBudget()).texts;
    expect(found(texts)).to.deep.equal(['spec.containers[0].env[0].value: password in a SQL statement']);
  });
});

describe('credential files, by the name a script writes them to', () => {
  const rows: [string, string | undefined][] = [
    ['~/.netrc', 'netrc'], ['/root/_netrc', 'netrc'], ['$HOME/.pgpass', 'pgpass'], ['.npmrc', 'npmrc'], ['/home/app/.git-credentials', 'urls'],
    ['~/.my.cnf', 'ini'], ['/etc/mysql/conf.d/client.cnf', 'ini'], ['~/.pypirc', 'ini'], ['~/.aws/credentials', 'ini'], ['/app/.env', 'ini'],
    ['~/.docker/config.json', 'docker'], ['/kaniko/.docker/config.json', 'docker'], ['/app/config.json', undefined], ['/var/log/app.log', undefined],
  ];
  for (const [path, format] of rows) it(`${path}: ${format ?? 'not a credential file'}`, () => { expect(credentialFileFormat(path)).to.equal(format); });
});

describe('the command-line view feeds a command', () => {
  const all = (script: string): Command[] => {
    const out: Command[] = [];
    forEachCommand([{ value: 'sh' }, { value: '-c' }, { value: script }], (c) => out.push(c));
    return out.slice(1);
  };
  it('the command piped into it, one back', () => {
    const [a, b, c] = all('echo x | tr a b | docker login --password-stdin');
    expect(a!.pipedFrom).to.equal(undefined);
    expect(b!.pipedFrom?.program).to.equal('echo');
    expect(c!.pipedFrom?.program).to.equal('tr');
    expect(c!.pipedFrom?.pipedFrom).to.equal(undefined);
  });
  it('a here-document body as stdin, its lines read as embedded commands (a script written for later)', () => {
    const cmds = all("cat > /x <<'EOF'\nline $HOME\nEOF\necho after");
    expect(cmds.map((c) => `${c.program}${c.embedded ? ' (embedded)' : ''}`)).to.deep.equal(['cat', 'line (embedded)', 'echo']);
    expect(cmds[0]!.stdin?.text).to.equal('line $HOME\n');
    expect(cmds[0]!.redirects.map((r) => [r.op, r.text])).to.deep.equal([['>', '/x']]);
  });
  it('<<- strips leading tabs; an unquoted delimiter expands the script variables', () => {
    const [, c] = all('U=app\ncat <<-EOF\n\tuser=$U\n\tEOF');
    expect(c!.stdin?.text).to.equal('user=app\n');
  });
  it('two here-documents on one line, and a pipe after one', () => {
    const cmds = all('cat <<A | psql\nselect 1;\nA\ncat <<B; cat <<C\nb\nB\nc\nC\necho end');
    const run = cmds.filter((c) => !c.embedded);
    expect(run.map((c) => `${c.program}:${c.stdin?.text ?? ''}`)).to.deep.equal(['cat:select 1;\n', 'psql:', 'cat:b\n', 'cat:c\n', 'echo:']);
    expect(run[1]!.pipedFrom?.stdin?.text).to.equal('select 1;\n');
  });
  it('a shell reading a here-document reads it as a script', () => {
    expect(all('bash <<EOF\ncurl https://a.internal\nEOF').map((c) => `${c.program}${c.embedded ? ' (embedded)' : ''}`)).to.deep.equal(['bash', 'curl']);
  });
  it('no terminator: not a here-document (and `$((1<<2))` is none)', () => {
    expect(all('cat <<EOF\nnc h 1').map((c) => c.program)).to.include('nc');
    expect(all('x=$((1<<2))\nnc h 1').map((c) => c.program)).to.include('nc');
  });
  it('a here-string as stdin', () => {
    expect(all('vault login - <<< tok')[0]!.stdin?.text).to.equal('tok');
  });
  it('the wrappers looked through, with their own words', () => {
    const [c] = all('timeout 30 sshpass -p x sudo -S ssh h');
    expect(c!.program).to.equal('ssh');
    expect(c!.wrappers?.map((w) => [w.program, w.args.map((a) => a.text)])).to.deep.equal([['timeout', ['30']], ['sshpass', ['-p', 'x']], ['sudo', ['-S']]]);
  });
  // Time on this is measured by `npm run bench -- worst` (sh-c-heredocs-unterminated).
  it('reads many unterminated here-documents as commands, each once', () => {
    const commands = all('cat <<EOF\n'.repeat(50_000));
    expect(commands.length).to.equal(50_000);
    expect(commands.every((c) => c.program === 'cat' && c.stdin === undefined)).to.equal(true);
  });
});
